// Vietnamese (or English) renderings of money, dates and numbers.  Money is
// whole VND: 1200000000 -> "1.200.000.000 ₫"; null means negotiable.
import { lang, t } from './i18n/index.js';

const locale = () => (lang.value === 'en' ? 'en-GB' : 'vi-VN');

export function money(vnd) {
	if (vnd === null || vnd === undefined) return t('common.negotiable');
	return `${new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 }).format(vnd)} ₫`;
}

export function priceRange(min, max) {
	if (min == null && max == null) return t('common.negotiable');
	if (min != null && max != null && min !== max) return `${money(min)} – ${money(max)}`;
	return money(min ?? max);
}

export function number(n, digits = 0) {
	if (n === null || n === undefined) return '—';
	return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

export function date(iso) {
	if (!iso) return '—';
	return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(iso));
}

export function dateTime(iso) {
	if (!iso) return '—';
	return new Intl.DateTimeFormat(locale(), {
		day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
		timeZone: 'Asia/Ho_Chi_Minh',
	}).format(new Date(iso));
}
