// /admin/indicators (administrators): the yearly figures the Department
// records by hand (GET /indicators, then PUT /indicators/{code}/values/{year}):
// the manual indicators (T2 percent, T4 and T5 counts a year, T6 cumulative
// count, V2045 text) and the enterprise base from which KH43-T3 is computed.
// One small form per year, 2023–2030, showing the figure recorded now; the
// API's messages appear beside the field they name.  The PUT replaces the
// year's figure whole and takes no If-Match (the spec asks for none).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { lang, t } from '../i18n/index.js';
import { number } from '../format.js';
import { Field, Loading, PageTitle, Problem, fieldErrors, useApi } from '../components.jsx';
import { FormProblem } from './admin_problem.jsx';
import { targetText, title, valueText } from './admin_indicator.js';
import '../styles/admin.css';
import '../i18n/admin.js';

// Which indicators take a figure here, and what the figure is.
const isBase = (ind) => ind.code === 'KH43-T3';
const editable = (ind) => ind.measure === 'manual' || isBase(ind);

export default function AdminIndicatorsPage() {
	const list = useApi('/indicators');
	const items = list.res?.ok ? list.res.data.items.filter(editable) : [];
	return (
		<>
			<PageTitle>{t('admin.iv.title')}</PageTitle>
			<p class="lead">{t('admin.iv.intro')}</p>
			{list.loading && !list.res ? <Loading /> : null}
			{list.res && !list.res.ok ? <Problem problem={list.res.problem} /> : null}
			{items.length ? (
				<nav aria-label={t('admin.iv.jump')} class="jump">
					<ul>
						{items.map((ind) => <li key={ind.code}><a href={`#iv-${ind.code}`}>{ind.code}</a></li>)}
					</ul>
				</nav>
			) : null}
			{items.map((ind) => <IndicatorValues key={ind.code} ind={ind} onSaved={list.reload} />)}
		</>
	);
}

function IndicatorValues({ ind, onSaved }) {
	return (
		<section class="iv-section" aria-labelledby={`iv-${ind.code}`} data-testid={`indicator-values-${ind.code}`}>
			<h2 id={`iv-${ind.code}`} tabIndex={-1}><span class="indicator-code">{ind.code}</span> {title(ind)}</h2>
			<p class="meta">
				{t('admin.ind.target')}: {targetText(ind)} · {t(`admin.iv.unit.${isBase(ind) ? 'base' : ind.unit}`)}
			</p>
			<ul class="year-grid">
				{ind.series.map((p) => (
					<li key={p.year}><YearForm ind={ind} point={p} onSaved={onSaved} /></li>
				))}
			</ul>
		</section>
	);
}

// What is recorded for the year now, in words.
function current(ind, p) {
	if (isBase(ind)) {
		if (p.base == null) return t('admin.iv.no_base');
		return t('admin.iv.base_now', { base: number(p.base), share: valueText('percent', p.value), n: number(p.enterprises) });
	}
	return p.value == null ? t('admin.ind.no_value_short') : valueText(ind.unit, p.value);
}

// The field's text as the API wants it: a number when it reads as one
// ("72,5" or "72.5"), otherwise the text itself, which the API refuses
// with its own message (or keeps, for the text indicator).
function parse(ind, text) {
	const s = text.trim();
	if (ind.unit === 'text') return s;
	const n = s.replace(',', '.');
	return /^-?\d+(\.\d+)?$/.test(n) ? Number(n) : s;
}

function YearForm({ ind, point, onSaved }) {
	const year = point.year;
	const key = isBase(ind) ? 'base' : 'value';
	const initial = isBase(ind) ? point.base : point.value;
	// Decimals as a Vietnamese reader writes them ("48,5"); parse() takes both.
	const [value, setValue] = useState(() => {
		if (initial == null) return '';
		return typeof initial === 'number' && lang.value === 'vi' ? String(initial).replace('.', ',') : String(initial);
	});
	const [note, setNote] = useState(point.note || '');
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const [saved, setSaved] = useState('');

	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		setSaved('');
		const body = {};
		if (value.trim() !== '') body[key] = parse(ind, value);
		if (note.trim() !== '') body.note = note.trim();
		const res = await api('PUT', `/indicators/${ind.code}/values/${year}`, { body });
		setBusy(false);
		if (!res.ok) {
			setProblem(res.problem);
			return;
		}
		const before = res.data.previous ? (isBase(ind) ? res.data.previous.base : res.data.previous.value) : null;
		const now = isBase(ind) ? res.data.base : res.data.value;
		const fmt = (v) => (isBase(ind) ? number(v) : valueText(ind.unit, v));
		setSaved(before == null
			? t('admin.iv.saved', { year, value: fmt(now) })
			: t('admin.iv.saved_replaced', { year, value: fmt(now), before: fmt(before) }));
		onSaved();
	};
	const errors = fieldErrors(problem);
	const yearLabel = (text) => <>{text}<span class="visually-hidden"> {t('admin.iv.of_year', { year })}</span></>;
	const inputMode = ind.unit === 'percent' && !isBase(ind) ? 'decimal' : 'numeric';

	return (
		<form class="card year-form" onSubmit={submit} noValidate aria-labelledby={`iv-${ind.code}-${year}`}>
			<h3 id={`iv-${ind.code}-${year}`}>{t('admin.iv.year', { year })}</h3>
			<p class="meta">{t('admin.iv.current')}: <span class="iv-current">{current(ind, point)}</span></p>
			<Field label={yearLabel(t(isBase(ind) ? 'admin.iv.base' : 'admin.iv.value'))} name={key} error={errors[key] || errors.year}>
				{(p) => (ind.unit === 'text'
					? <textarea {...p} maxLength={2000} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
					: <input {...p} type="text" inputMode={inputMode} autoComplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />)}
			</Field>
			<Field label={yearLabel(t('admin.iv.note'))} name="note" error={errors.note}>
				{(p) => <textarea {...p} class="iv-note" maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
			</Field>
			<FormProblem problem={problem} fields={[key, 'note', 'year']} />
			<div class="actions">
				<button type="submit" class="primary" disabled={busy}>
					{t('common.save')}<span class="visually-hidden"> {ind.code} {t('admin.iv.of_year', { year })}</span>
				</button>
			</div>
			<p role="status" class="iv-saved">{saved}</p>
		</form>
	);
}
