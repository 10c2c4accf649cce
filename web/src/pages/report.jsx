// /admin/report (administrators): the exchange's activity over a date range
// (GET /reports/summary?from=&to=): listings by kind, status, field of
// science and province, deals by state, the verified deals and their value,
// and the months of the range as a chart and a table.  The range lives in
// the URL (?from=&to=) so a report can be bookmarked; it defaults to
// 1 January of this year to today, in Vietnam's time as the API counts.
// "Tải CSV" fetches the same report as CSV with the session's token and
// hands it to the browser as a download.
import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { location, navigate } from '../router.js';
import { useSignal } from '../signal.js';
import { lang, t, label, ENUMS } from '../i18n/index.js';
import { money, number } from '../format.js';
import { Field, Loading, PageTitle, Problem, fieldErrors, useApi, useProvinces, useRefName, useSectors } from '../components.jsx';
import { BarChart } from './admin_chart.jsx';
import { FormProblem } from './admin_problem.jsx';
import '../styles/admin.css';
import '../i18n/admin.js';

// Today as YYYY-MM-DD in Vietnam (the API's calendar).
function today() {
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

// "2026-02" as "02/2026" (vi) or "Feb 2026" (en).
function monthLabel(month) {
	const [y, m] = month.split('-').map(Number);
	if (lang.value !== 'en') return `${String(m).padStart(2, '0')}/${y}`;
	return new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 1));
}

export default function ReportPage() {
	const loc = useSignal(location);
	useSignal(lang);
	const params = new URLSearchParams(loc.search);
	const from = params.get('from') || `${today().slice(0, 4)}-01-01`;
	const to = params.get('to') || today();
	const report = useApi(`/reports/summary${query({ from, to })}`);

	const [form, setForm] = useState({ from, to });
	useEffect(() => setForm({ from, to }), [from, to]);
	const show = (e) => {
		e.preventDefault();
		navigate(`/admin/report${query(form)}`, { replace: true });
	};

	const problem = report.res && !report.res.ok ? report.res.problem : null;
	const errors = fieldErrors(problem);
	return (
		<>
			<PageTitle>{t('admin.rep.title')}</PageTitle>
			<p class="lead">{t('admin.rep.intro')}</p>
			<form class="report-form" onSubmit={show} noValidate>
				<Field label={t('admin.rep.from')} name="from" error={errors.from}>
					{(p) => <input {...p} type="date" value={form.from} onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} />}
				</Field>
				<Field label={t('admin.rep.to')} name="to" error={errors.to}>
					{(p) => <input {...p} type="date" value={form.to} onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} />}
				</Field>
				<div class="actions">
					<button type="submit" class="primary">{t('admin.rep.show')}</button>
				</div>
			</form>
			<FormProblem problem={problem} fields={['from', 'to']} />
			{report.loading ? <Loading /> : null}
			{report.res?.ok ? <Report data={report.res.data} /> : null}
		</>
	);
}

// Downloads the CSV of the report shown: fetched with the bearer token
// (a plain link could not send it), then saved through an object URL that
// is revoked once the click has started the download.
function CsvDownload({ from, to }) {
	const [state, setState] = useState({ busy: false, message: '', problem: null });
	const download = async () => {
		setState({ busy: true, message: '', problem: null });
		const res = await api('GET', `/reports/summary${query({ from, to, format: 'csv' })}`, { raw: true });
		if (!res.ok) {
			setState({ busy: false, message: '', problem: res.problem });
			return;
		}
		const name = `bao-cao-${from}-${to}.csv`;
		// A byte-order mark first: without it Excel, which the Department's
		// staff open reports with, reads the UTF-8 names as another code page.
		const url = URL.createObjectURL(new Blob(['\ufeff', res.data], { type: 'text/csv;charset=utf-8' }));
		const a = document.createElement('a');
		a.href = url;
		a.download = name;
		document.body.appendChild(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 0);
		setState({ busy: false, message: t('admin.rep.downloaded', { name }), problem: null });
	};
	return (
		<div class="csv">
			<button type="button" class="secondary" onClick={download} disabled={state.busy}>{t('admin.rep.csv')}</button>
			<p role="status" class="csv-status">{state.message}</p>
			<Problem problem={state.problem} />
		</div>
	);
}

// A two-column table: what is counted, and how many.
function CountTable({ caption, rows, total }) {
	return (
		<div class="table-wrap">
			<table class="count-table">
				<caption>{caption}</caption>
				<thead>
					<tr><th scope="col">{t('admin.rep.item')}</th><th scope="col" class="num">{t('admin.rep.count')}</th></tr>
				</thead>
				<tbody>
					{rows.length ? rows.map(([key, name, n]) => (
						<tr key={key}><th scope="row">{name}</th><td class="num">{number(n)}</td></tr>
					)) : <tr><td colSpan={2}>{t('admin.rep.none')}</td></tr>}
				</tbody>
				{total != null ? (
					<tfoot><tr><th scope="row">{t('admin.rep.total')}</th><td class="num">{number(total)}</td></tr></tfoot>
				) : null}
			</table>
		</div>
	);
}

function Report({ data }) {
	const sectors = useSectors();
	const provinces = useProvinces();
	const refName = useRefName();
	const { listings, deals, monthly } = data;
	const sectorName = (s) => {
		const ref = sectors.find((x) => x.code === s.field);
		return ref ? refName(ref) : s.name_vi;
	};
	const provinceName = (p) => {
		const ref = provinces.find((x) => x.slug === p.province);
		return ref ? refName(ref) : p.name_vi;
	};
	const months = monthly.map((m) => monthLabel(m.month));
	return (
		<section aria-labelledby="report-range" class="report">
			<h2 id="report-range">{t('admin.rep.range', { from: data.from.split('-').reverse().join('/'), to: data.to.split('-').reverse().join('/') })}</h2>
			<CsvDownload from={data.from} to={data.to} />

			<h3>{t('admin.rep.listings')}</h3>
			<div class="report-grid">
				<CountTable caption={t('admin.rep.by_kind')} total={listings.total}
					rows={ENUMS.kind.map((k) => [k, label('kind', k), listings.by_kind[k] ?? 0])} />
				<CountTable caption={t('admin.rep.by_status')} total={listings.total}
					rows={ENUMS.status.map((s) => [s, label('status', s), listings.by_status[s] ?? 0])} />
				<CountTable caption={t('admin.rep.by_sector')}
					rows={listings.by_sector.map((s) => [s.field, `${s.field}. ${sectorName(s)}`, s.count])} />
				<CountTable caption={t('admin.rep.by_province')}
					rows={listings.by_province.map((p) => [p.province, provinceName(p), p.count])} />
			</div>

			<h3>{t('admin.rep.deals')}</h3>
			<div class="report-grid">
				<CountTable caption={t('admin.rep.by_state')} total={deals.total}
					rows={ENUMS.deal_state.map((s) => [s, label('deal_state', s), deals.by_state[s] ?? 0])} />
				<div class="panel verified-box">
					<h4>{t('admin.rep.verified')}</h4>
					<p class="big-figure" data-testid="report-verified">
						{t('admin.rep.verified_figure', { n: number(deals.verified_count), value: money(deals.verified_value_vnd) })}
					</p>
					<p class="meta">{t('admin.rep.verified_hint')}</p>
				</div>
			</div>

			<h3>{t('admin.rep.monthly')}</h3>
			<BarChart
				label={t('admin.rep.chart_summary', {
					months: monthly.map((m, i) => t('admin.rep.chart_month', { month: months[i], listings: m.new_listings, deals: m.verified_deals })).join('; '),
				})}
				categories={months}
				series={[
					{ name: t('admin.rep.new_listings'), values: monthly.map((m) => m.new_listings) },
					{ name: t('admin.rep.verified_deals'), values: monthly.map((m) => m.verified_deals) },
				]}
				format={(v) => number(v)}
				integer
			/>
			<div class="table-wrap">
				<table>
					<caption>{t('admin.rep.monthly_table')}</caption>
					<thead>
						<tr>
							<th scope="col">{t('admin.rep.month')}</th>
							<th scope="col" class="num">{t('admin.rep.new_listings')}</th>
							<th scope="col" class="num">{t('admin.rep.verified_deals')}</th>
							<th scope="col" class="num">{t('admin.rep.verified_value')}</th>
						</tr>
					</thead>
					<tbody>
						{monthly.map((m, i) => (
							<tr key={m.month}>
								<th scope="row">{months[i]}</th>
								<td class="num">{number(m.new_listings)}</td>
								<td class="num">{number(m.verified_deals)}</td>
								<td class="num">{money(m.verified_value_vnd)}</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</section>
	);
}
