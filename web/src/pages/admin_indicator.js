// How the plan's indicators read in words, shared by the public dashboard
// (/indicators) and the administrators' value forms (/admin/indicators):
// the title in the chosen language, a value for its unit (percent, a count a
// year, a cumulative count, count and VND, text), the target as the plan
// words it, and the chart's summary for screen readers.
import { lang, t } from '../i18n/index.js';
import { money, number } from '../format.js';
import '../i18n/admin.js';

export const title = (ind) => (lang.value === 'en' ? ind.title_en : ind.title_vi);

// A value of the indicator's unit, short: "72,5%", "4", or the text.
export function valueText(unit, value) {
	if (value === null || value === undefined || value === '') return '—';
	if (typeof value === 'string') return value;
	return unit === 'percent' ? `${number(value, 2)}%` : number(value);
}

// The latest value in words, e.g. "3 giao dịch — 1.200.000.000 ₫".
export function latestText(ind) {
	const latest = ind.latest;
	if (!latest) return t('admin.ind.no_value');
	const n = latest.value;
	switch (ind.unit) {
	case 'count_cumulative':
		return t('admin.ind.count_cumulative', { n: number(n) });
	case 'count_and_vnd': {
		const point = ind.series.find((p) => p.year === latest.year);
		return t('admin.ind.deals_value', { n: number(n), value: money(point?.value_vnd ?? 0) });
	}
	default:
		return valueText(ind.unit, n);
	}
}

// The target as the plan states it ("Trên 50% vào năm 2030"); the plan's
// own phrasing for each code, with a plain reading of the numbers otherwise.
export function targetText(ind) {
	const { min, max, year } = ind.target;
	const vars = { min: number(min, 2), max: number(max, 2), year };
	const own = t(`admin.target.${ind.code}`, vars);
	if (own !== `admin.target.${ind.code}`) return own;
	if (min == null) return t('admin.target.none');
	return max == null ? t('admin.target.at_least', vars) : t('admin.target.range', vars);
}

// The target drawn on the chart: a line at min, a band up to max.
export function chartTarget(ind) {
	const { min, max } = ind.target;
	if (min == null || ind.unit === 'text') return null;
	const text = max != null && max !== min
		? `${valueText(ind.unit, min)}–${valueText(ind.unit, max)}`
		: valueText(ind.unit, min);
	return { min, max, text: t('admin.chart.target_value', { value: text }) };
}

// The chart's name for a screen reader: every year's value and the target.
export function chartSummary(ind) {
	const years = ind.series
		.map((p) => `${p.year}: ${p.value == null ? t('admin.ind.no_value_short') : valueText(ind.unit, p.value)}`)
		.join('; ');
	return t('admin.chart.summary', { code: ind.code, years, target: targetText(ind) });
}
