// Every string the pages show, Vietnamese first, English on request.  The
// shell's strings (common.js) load with the app; each area's dictionary
// (listings, deals, admin) adds itself when a module that uses it is
// imported, so the home page does not carry the administrators' strings.
// t() looks a key up in the chosen language and fills {name} placeholders;
// a key missing in English falls back to Vietnamese.
import { signal } from '../signal.js';
import common from './common.js';

const dictionaries = [common];

// Called by an area's dictionary module as it is imported.
export function addStrings(dictionary) {
	dictionaries.push(dictionary);
}
const STORAGE_KEY = 'marketplace.lang';

function initialLang() {
	const saved = localStorage.getItem(STORAGE_KEY);
	return saved === 'en' || saved === 'vi' ? saved : 'vi';
}

export const lang = signal(initialLang());
document.documentElement.lang = lang.value;

export function setLang(next) {
	lang.value = next;
	localStorage.setItem(STORAGE_KEY, next);
	document.documentElement.lang = next;
}

function lookup(language, key) {
	for (const d of dictionaries) {
		const v = d[language]?.[key];
		if (v !== undefined) return v;
	}
	return undefined;
}

export function t(key, vars) {
	let s = lookup(lang.value, key) ?? lookup('vi', key);
	if (s === undefined) {
		if (import.meta.env.DEV) console.warn(`missing string ${key}`);
		return key;
	}
	if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] ?? m));
	return s;
}

// The label of an API enum value, e.g. label('kind', 'technology_offer').
export const label = (group, value) => (value === null || value === undefined ? '—' : t(`${group}.${value}`));

// Every value of an enum group, in the API's order, for selects and facets.
export const ENUMS = {
	kind: ['technology_offer', 'technology_demand', 'equipment_offer', 'equipment_demand'],
	status: ['draft', 'pending_review', 'published', 'rejected', 'closed', 'expired', 'suspended'],
	ip_status: ['none', 'patent_pending', 'patent', 'utility_solution', 'industrial_design', 'plant_variety', 'trade_secret', 'copyright'],
	transfer_mode: ['licensing', 'assignment', 'joint_development', 'consulting', 'training', 'turnkey', 'sale', 'lease'],
	org_kind: ['enterprise', 'research_institute', 'university', 'startup', 'government', 'intermediary'],
	condition: ['new', 'used', 'refurbished'],
	deal_state: ['proposed', 'negotiating', 'agreed', 'contracted', 'completed', 'declined', 'withdrawn', 'lapsed', 'disputed', 'cancelled'],
	reason: ['too_early', 'benefit_unclear', 'price', 'terms', 'capacity', 'description_unclear', 'found_elsewhere', 'other'],
	indicator_status: ['on_track', 'at_risk', 'off_track', 'no_data'],
};
