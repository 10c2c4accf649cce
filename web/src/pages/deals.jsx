// /deals: the inbox of the organisation's deals (every deal for an
// administrator), newest first, filtered by state and, for members, by the
// organisation's role (buyer or seller).  The filters live in the URL, so
// the back button and a bookmark keep them.
import { query } from '../api.js';
import { Field, MoreButton, PageTitle, Problem, usePagedList, useNames } from '../components.jsx';
import { dateTime } from '../format.js';
import { ENUMS, label, t } from '../i18n/index.js';
import { Link, location, navigate, searchParams } from '../router.js';
import { isAdmin } from '../session.js';
import { useSignal } from '../signal.js';
import { DealStateBadge, orgText } from './deals_shared.jsx';
import '../styles/deals.css';
import '../i18n/deals.js';

const ROLES = ['buyer', 'seller'];

function Counterparty({ deal, provinceName }) {
	if (!deal.my_side) {
		return (
			<>
				<span class="side-label">{t('deals.side.listing')}:</span> {orgText(deal.listing_organization, provinceName)}
				<br />
				<span class="side-label">{t('deals.side.initiator')}:</span> {orgText(deal.initiator_organization, provinceName)}
			</>
		);
	}
	const other = deal.my_side === 'listing' ? deal.initiator_organization : deal.listing_organization;
	return orgText(other, provinceName);
}

export default function DealsPage() {
	useSignal(location);
	const admin = isAdmin();
	const params = searchParams();
	const state = ENUMS.deal_state.includes(params.state) ? params.state : '';
	const role = !admin && ROLES.includes(params.role) ? params.role : '';
	const list = usePagedList(`/deals${query({ state, role, limit: 20 })}`);
	const provinceName = useNames().province;
	const setFilter = (name) => (e) => {
		const next = { state, role, [name]: e.currentTarget.value };
		navigate(`/deals${query(next)}`, { replace: true });
	};
	return (
		<>
			<PageTitle>{admin ? t('deals.title_admin') : t('deals.title')}</PageTitle>
			<p>{admin ? t('deals.intro_admin') : t('deals.intro')}</p>
			<form class="filters" role="search" aria-label={t('deals.filters')} onSubmit={(e) => e.preventDefault()}>
				<Field label={t('deals.filter_state')} name="state">
					{(p) => (
						<select {...p} value={state} onChange={setFilter('state')}>
							<option value="">{t('common.all')}</option>
							{ENUMS.deal_state.map((s) => <option key={s} value={s}>{label('deal_state', s)}</option>)}
						</select>
					)}
				</Field>
				{admin ? null : (
					<Field label={t('deals.filter_role')} name="role" hint={t('deals.role_hint')}>
						{(p) => (
							<select {...p} value={role} onChange={setFilter('role')}>
								<option value="">{t('common.all')}</option>
								{ROLES.map((r) => <option key={r} value={r}>{t(`deals.role.${r}`)}</option>)}
							</select>
						)}
					</Field>
				)}
			</form>
			<Problem problem={list.problem} />
			{!list.loading && !list.problem && list.items.length === 0 ? (
				<p class="empty" role="status">{state || role ? t('deals.none_filtered') : t('deals.none')}</p>
			) : null}
			{list.items.length ? (
				<div class="table-wrap">
					<table class="deal-table">
						<caption class="visually-hidden">{t('deals.table_caption')}</caption>
						<thead>
							<tr>
								<th scope="col">{t('deals.col_listing')}</th>
								<th scope="col">{admin ? t('deals.col_parties') : t('deals.col_counterparty')}</th>
								{admin ? null : <th scope="col">{t('deals.col_role')}</th>}
								<th scope="col">{t('deals.col_state')}</th>
								<th scope="col">{t('deals.col_changed')}</th>
							</tr>
						</thead>
						<tbody>
							{list.items.map((d) => (
								<tr key={d.id} data-testid="deal-row">
									<th scope="row">
										<Link href={`/deals/${d.id}`}>{d.listing.title}</Link>
										<span class="meta"> {d.listing.ref} · {label('kind', d.listing.kind)}</span>
									</th>
									<td data-label={admin ? t('deals.col_parties') : t('deals.col_counterparty')}><Counterparty deal={d} provinceName={provinceName} /></td>
									{admin ? null : <td data-label={t('deals.col_role')}>{d.my_role ? t(`deals.role.${d.my_role}`) : '—'}</td>}
									<td data-label={t('deals.col_state')}>
										<DealStateBadge state={d.state} />
										{d.state === 'completed' && d.verified ? <span class="verified-mark"> {t('deals.verified_short')}</span> : null}
									</td>
									<td data-label={t('deals.col_changed')}><time dateTime={d.updated_at}>{dateTime(d.updated_at)}</time></td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
			<div class="actions"><MoreButton list={list} /></div>
		</>
	);
}
