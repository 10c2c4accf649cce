// Strings of the listings pages (owned by that area).
export default { vi: {}, en: {} };
