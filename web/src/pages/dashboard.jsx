// /indicators (public): how far Plan 43/KH-SKHCN has come.  One card per
// indicator of the plan (GET /indicators) with its target, latest value,
// status and a chart of 2023–2030 against the target; the plan's five task
// groups (GET /plan/tasks).  `?code=KH43-X1` opens one indicator's detail
// (GET /indicators/{code}): the same figures with the listings and deals
// linked to it.
import { Link, location } from '../router.js';
import { useSignal } from '../signal.js';
import { lang, t } from '../i18n/index.js';
import { money, number, date } from '../format.js';
import { Badge, Loading, PageTitle, Problem, useApi } from '../components.jsx';
import { BarChart } from './admin_chart.jsx';
import { chartSummary, chartTarget, latestText, targetText, title, valueText } from './admin_indicator.js';
import '../styles/admin.css';
import '../i18n/admin.js';

export default function DashboardPage() {
	const loc = useSignal(location);
	useSignal(lang);
	const code = new URLSearchParams(loc.search).get('code');
	return code ? <IndicatorDetail code={code} /> : <Overview />;
}

function Overview() {
	const indicators = useApi('/indicators');
	const groups = useApi('/plan/tasks');
	return (
		<>
			<PageTitle>{t('admin.dash.title')}</PageTitle>
			<p class="lead">{t('admin.dash.intro')}</p>
			<h2>{t('admin.dash.indicators')}</h2>
			{indicators.loading && !indicators.res ? <Loading /> : null}
			{indicators.res && !indicators.res.ok ? <Problem problem={indicators.res.problem} /> : null}
			{indicators.res?.ok ? (
				<ul class="indicator-grid">
					{indicators.res.data.items.map((ind) => (
						<li key={ind.code}><IndicatorCard ind={ind} /></li>
					))}
				</ul>
			) : null}
			<h2 id="task-groups">{t('admin.dash.groups')}</h2>
			<p>{t('admin.dash.groups_intro')}</p>
			{groups.loading && !groups.res ? <Loading /> : null}
			{groups.res && !groups.res.ok ? <Problem problem={groups.res.problem} /> : null}
			{groups.res?.ok ? <TaskGroups items={groups.res.data.items} /> : null}
		</>
	);
}

// The facts of an indicator: target, latest value, status, how it is measured.
function Facts({ ind }) {
	return (
		<dl class="indicator-facts">
			<div>
				<dt>{t('admin.ind.target')}</dt>
				<dd>{targetText(ind)}</dd>
			</div>
			<div>
				<dt>{t('admin.ind.latest')}</dt>
				<dd>
					<span class="indicator-latest">{latestText(ind)}</span>
					{ind.latest ? <span class="meta"> {t('admin.ind.in_year', { year: ind.latest.year })}</span> : null}
				</dd>
			</div>
			<div>
				<dt>{t('admin.ind.status')}</dt>
				<dd><Badge group="indicator_status" value={ind.status} /></dd>
			</div>
			<div>
				<dt>{t('admin.ind.measure')}</dt>
				<dd>{t(`admin.measure.${ind.code === 'KH43-T3' ? 'base' : ind.measure}`)}</dd>
			</div>
		</dl>
	);
}

// The yearly series as a chart (numbers) or the latest text (KH43-V2045),
// and always as a table of the same figures.
function Series({ ind }) {
	const numeric = ind.unit !== 'text';
	const unitFormat = (v) => valueText(ind.unit, v);
	return (
		<>
			{numeric ? (
				<BarChart
					label={chartSummary(ind)}
					categories={ind.series.map((p) => p.year)}
					series={[{ name: t(`admin.chart.series.${ind.unit}`), values: ind.series.map((p) => p.value) }]}
					target={chartTarget(ind)}
					format={unitFormat}
					integer={ind.unit !== 'percent'}
				/>
			) : (
				<blockquote class="indicator-text">{ind.latest ? ind.latest.value : t('admin.ind.no_value')}</blockquote>
			)}
			<details class="indicator-table">
				<summary>{t('admin.ind.table', { code: ind.code })}</summary>
				<SeriesTable ind={ind} />
			</details>
		</>
	);
}

function SeriesTable({ ind }) {
	const extra = {
		'KH43-T1': [
			['admin.col.tasks_applied', (p) => `${number(p.tasks_applied)} / ${number(p.tasks_registered)}`],
			['admin.col.year_value', (p) => valueText('percent', p.year_value)],
		],
		'KH43-T3': [
			['admin.col.enterprises', (p) => number(p.enterprises)],
			['admin.col.base', (p) => number(p.base)],
		],
		'KH43-X1': [['admin.col.value_vnd', (p) => money(p.value_vnd ?? 0)]],
	}[ind.code] || [];
	const notes = ind.measure === 'manual' || ind.code === 'KH43-T3';
	return (
		<div class="table-wrap">
			<table>
				<caption class="visually-hidden">{t('admin.ind.table', { code: ind.code })}</caption>
				<thead>
					<tr>
						<th scope="col">{t('admin.col.year')}</th>
						<th scope="col">{t('admin.col.value')}</th>
						{extra.map(([key]) => <th scope="col" key={key}>{t(key)}</th>)}
						{notes ? <th scope="col">{t('admin.col.note')}</th> : null}
					</tr>
				</thead>
				<tbody>
					{ind.series.map((p) => (
						<tr key={p.year}>
							<th scope="row">{p.year}</th>
							<td>{valueText(ind.unit, p.value)}</td>
							{extra.map(([key, cell]) => <td key={key}>{cell(p)}</td>)}
							{notes ? <td>{p.note || '—'}</td> : null}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

function IndicatorCard({ ind }) {
	const headingId = `ind-${ind.code}-title`;
	return (
		<section class="card indicator" data-testid={`indicator-${ind.code}`} aria-labelledby={headingId}>
			<p class="indicator-code">{ind.code} · {t('admin.ind.section', { section: ind.plan_section })}</p>
			<h3 id={headingId}>{title(ind)}</h3>
			<Facts ind={ind} />
			<Series ind={ind} />
			<p class="indicator-more">
				<Link href={`/indicators?code=${encodeURIComponent(ind.code)}`}>
					{t('admin.ind.details')}<span class="visually-hidden"> {ind.code}</span>
				</Link>
			</p>
		</section>
	);
}

function TaskGroups({ items }) {
	return (
		<div class="table-wrap">
			<table class="task-groups">
				<caption class="visually-hidden">{t('admin.dash.groups')}</caption>
				<thead>
					<tr>
						<th scope="col">{t('admin.col.no')}</th>
						<th scope="col">{t('admin.col.task')}</th>
						<th scope="col">{t('admin.col.units')}</th>
						<th scope="col">{t('admin.col.period')}</th>
						<th scope="col">{t('admin.col.indicators')}</th>
						<th scope="col">{t('admin.col.activity')}</th>
					</tr>
				</thead>
				<tbody>
					{items.map((g) => (
						<tr key={g.no}>
							<th scope="row">{g.no}</th>
							<td>
								{lang.value === 'en' ? g.title_en : g.title_vi}
								<span class="meta"> ({t('admin.ind.section', { section: g.plan_section })})</span>
							</td>
							<td>
								<ul class="plain">{g.units.map((u) => <li key={u}>{u}</li>)}</ul>
							</td>
							<td class="nowrap">{g.period.replace('-', '–')}</td>
							<td>
								{g.indicators.length ? (
									<ul class="plain">
										{g.indicators.map((c) => <li key={c}><Link href={`/indicators?code=${c}`}>{c}</Link></li>)}
									</ul>
								) : '—'}
							</td>
							<td>
								{g.indicators.length
									? t('admin.dash.group_activity', {
										listings: number(g.listings.count),
										deals: number(g.deals.count),
										verified: number(g.deals.verified_count),
									})
									: '—'}
							</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

function IndicatorDetail({ code }) {
	const detail = useApi(`/indicators/${encodeURIComponent(code)}`);
	const back = <p class="back"><Link href="/indicators">{t('admin.dash.all')}</Link></p>;
	if (detail.loading && !detail.res) return <>{back}<Loading /></>;
	if (!detail.res?.ok) {
		return (
			<>
				{back}
				<PageTitle>{detail.res?.status === 404 ? t('admin.dash.unknown', { code }) : t('common.error')}</PageTitle>
				{detail.res?.status === 404 ? null : <Problem problem={detail.res?.problem} />}
			</>
		);
	}
	const ind = detail.res.data;
	const { listings, deals } = ind.linked;
	return (
		<>
			{back}
			<PageTitle text={`${ind.code} — ${title(ind)}`}>
				<span class="indicator-code">{ind.code}</span> {title(ind)}
			</PageTitle>
			<section class="card indicator indicator-detail" data-testid={`indicator-${ind.code}`} aria-label={ind.code}>
				<p class="indicator-code">{t('admin.ind.section', { section: ind.plan_section })}</p>
				<Facts ind={ind} />
				<Series ind={ind} />
			</section>

			<h2>{t('admin.detail.listings', { n: number(listings.count) })}</h2>
			{listings.latest.length ? (
				<>
					{listings.count > listings.latest.length ? <p>{t('admin.detail.latest_listings')}</p> : null}
					<ul class="linked-list">
						{listings.latest.map((l) => (
							<li key={l.id}>
								<Link href={`/listings/${l.ref}`}>{l.title}</Link>
								<span class="meta"> — {l.ref} · {t(`kind.${l.kind}`)} · {t('admin.detail.published', { date: date(l.published_at) })}</span>
							</li>
						))}
					</ul>
				</>
			) : <p>{t('admin.detail.no_listings')}</p>}

			<h2>{t('admin.detail.deals')}</h2>
			<p>
				{t('admin.detail.deal_counts', {
					n: number(deals.count),
					verified: number(deals.verified_count),
					value: money(deals.verified_value_vnd),
				})}
			</p>
			{deals.latest.length ? (
				<div class="table-wrap">
					<table>
						<caption>{t('admin.detail.latest_deals')}</caption>
						<thead>
							<tr>
								<th scope="col">{t('admin.col.listing')}</th>
								<th scope="col">{t('admin.col.state')}</th>
								<th scope="col">{t('admin.col.value_vnd')}</th>
								<th scope="col">{t('admin.col.verified')}</th>
								<th scope="col">{t('admin.col.created')}</th>
							</tr>
						</thead>
						<tbody>
							{deals.latest.map((d) => (
								<tr key={d.id}>
									<th scope="row"><Link href={`/deals/${d.id}`}>{d.listing_ref}</Link></th>
									<td><Badge group="deal_state" value={d.state} /></td>
									<td>{d.value_vnd == null ? '—' : money(d.value_vnd)}</td>
									<td>{d.verified ? t('common.yes') : t('common.no')}</td>
									<td>{date(d.created_at)}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
		</>
	);
}
