// Strings of the deals pages (owned by that area).
export default { vi: {}, en: {} };
