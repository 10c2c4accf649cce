// Strings of the admin pages (owned by that area).
export default { vi: {}, en: {} };
