// The organisation's listings in every status (GET /listings?mine=true), as
// a table: what each is, where it stands, the moderators' reason when one
// was rejected or suspended, its dates, and the quick actions that move it
// on (submit a draft or a rejected one, renew an expired one).  The status
// filter is kept in the URL (?status=), so the view can be linked to.
import { useState } from 'preact/hooks';
import { query } from '../api.js';
import { Link, location, navigate } from '../router.js';
import { useSignal } from '../signal.js';
import { t, label, ENUMS } from '../i18n/index.js';
import { Badge, Field, MoreButton, PageTitle, Problem, usePagedList } from '../components.jsx';
import { date } from '../format.js';
import { WriteProblem, listingHref } from './listings_shared.jsx';
import { listingAction } from './listings_actions.jsx';
import '../i18n/listings.js';

const QUICK = { draft: 'submit', rejected: 'submit', expired: 'renew' };

export default function MyListingsPage() {
	const loc = useSignal(location);
	const status = new URLSearchParams(loc.search).get('status') || '';
	const list = usePagedList(`/listings${query({ mine: 'true', status, limit: 50 })}`);
	const [state, setState] = useState({ busy: null, problem: null, done: null });
	const quick = async (l) => {
		const action = QUICK[l.status];
		setState({ busy: l.id, problem: null, done: null });
		const res = await listingAction(l, action);
		if (!res.ok) setState({ busy: null, problem: res.problem, done: null });
		else {
			setState({ busy: null, problem: null, done: t(`listings.done_${action}_named`, { title: l.title }) });
			list.reload();
		}
	};
	const filter = (e) => navigate(`/my/listings${query({ status: e.currentTarget.value })}`, { replace: true });
	return (
		<div class="my-listings">
			<PageTitle text={t('listings.mine_title')}>{t('listings.mine_title')}</PageTitle>
			<div class="mine-toolbar">
				<Field label={t('listings.filter_status')} name="status">
					{(p) => (
						<select {...p} value={status} onChange={filter}>
							<option value="">{t('common.all')}</option>
							{ENUMS.status.map((v) => <option key={v} value={v}>{label('status', v)}</option>)}
						</select>
					)}
				</Field>
				<Link href="/listings/new" class="button">{t('listings.new')}</Link>
			</div>
			<WriteProblem problem={state.problem} />
			<Problem problem={list.problem} />
			{state.done ? <p class="alert alert-ok" role="status">{state.done}</p> : null}
			{!list.loading && !list.problem && list.items.length === 0 ? (
				<p role="status">{status ? t('listings.mine_none_status') : t('listings.mine_none')}</p>
			) : null}
			{list.items.length ? (
				<div class="table-wrap">
					<table class="mine-table">
						<caption class="visually-hidden">{t('listings.mine_caption')}</caption>
						<thead>
							<tr>
								<th scope="col">{t('listings.title')}</th>
								<th scope="col">{t('listings.kind')}</th>
								<th scope="col">{t('listings.status')}</th>
								<th scope="col">{t('listings.updated_at')}</th>
								<th scope="col">{t('listings.expires_at')}</th>
								<th scope="col">{t('listings.quick_actions')}</th>
							</tr>
						</thead>
						<tbody>
							{list.items.map((l) => (
								<tr key={l.id}>
									<th scope="row">
										<Link href={listingHref(l)}>{l.title}</Link>
										<span class="ref-small">{l.ref}</span>
										{l.status_reason && (l.status === 'rejected' || l.status === 'suspended') ? (
											<p class="status-reason"><strong>{t(`listings.reason_${l.status}`)}</strong> {l.status_reason}</p>
										) : null}
									</th>
									<td>{label('kind', l.kind)}</td>
									<td><Badge group="status" value={l.status} /></td>
									<td>{date(l.updated_at)}</td>
									<td>{date(l.expires_at)}</td>
									<td>
										{QUICK[l.status] ? (
											<button type="button" class="secondary small" disabled={state.busy === l.id} onClick={() => quick(l)}
												aria-label={t(`listings.quick_${QUICK[l.status]}_label`, { title: l.title })}>
												{t(`listings.action_${QUICK[l.status]}`)}
											</button>
										) : null}
									</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
			<div class="more"><MoreButton list={list} /></div>
		</div>
	);
}
