// Vietnamese (or English) renderings of money, dates and numbers.  Money is
// whole VND: 1200000000 -> "1.200.000.000 ₫"; null means negotiable.
import { lang, t } from './i18n/index.js';

const locale = () => (lang.value === 'en' ? 'en-GB' : 'vi-VN');

// Intl formatters are slow to build (a list of twenty listings builds
// sixty), so each is built once per locale and kind.
const formatters = new Map();
function formatter(kind, loc, make) {
	const key = `${kind}:${loc}`;
	let f = formatters.get(key);
	if (f === undefined) {
		f = make(loc);
		formatters.set(key, f);
	}
	return f;
}

const WHOLE = (loc) => new Intl.NumberFormat(loc, { maximumFractionDigits: 0 });
const DAY = (loc) => new Intl.DateTimeFormat(loc, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' });
const MINUTE = (loc) => new Intl.DateTimeFormat(loc, {
	day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Ho_Chi_Minh',
});

export function money(vnd) {
	if (vnd === null || vnd === undefined) return t('common.negotiable');
	return `${formatter('whole', 'vi-VN', WHOLE).format(vnd)} ₫`;
}

export function priceRange(min, max) {
	if (min == null && max == null) return t('common.negotiable');
	if (min != null && max != null && min !== max) return `${money(min)} – ${money(max)}`;
	return money(min ?? max);
}

export function number(n, digits = 0) {
	if (n === null || n === undefined) return '—';
	if (digits === 0) return formatter('whole', locale(), WHOLE).format(n);
	return formatter(`digits${digits}`, locale(), (loc) => new Intl.NumberFormat(loc, { maximumFractionDigits: digits })).format(n);
}

export function date(iso) {
	if (!iso) return '—';
	return formatter('day', locale(), DAY).format(new Date(iso));
}

export function dateTime(iso) {
	if (!iso) return '—';
	return formatter('minute', locale(), MINUTE).format(new Date(iso));
}
