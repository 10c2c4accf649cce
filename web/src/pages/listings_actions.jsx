// The lifecycle actions on a listing, as buttons offered by its state: the
// organisation's (edit, submit, close, renew, delete a draft) and the
// administrators' (approve, reject and suspend with a reason, reinstate,
// close).  Every action sends If-Match with the version read, so a listing
// changed meanwhile gets 412 instead of being acted on blindly; 409 and 412
// are shown as the API words them.  Also the organisation's feedback: why
// its deals on the listing were declined or withdrawn.
import { useState } from 'preact/hooks';
import { api, post } from '../api.js';
import { Link, navigate } from '../router.js';
import { t, label, ENUMS } from '../i18n/index.js';
import { Field, Loading, Problem, fieldErrors, useApi } from '../components.jsx';
import { WriteProblem } from './listings_shared.jsx';
import { dateTime } from '../format.js';
import '../i18n/listings.js';

// Which actions each side may take from each status (the API's lifecycle).
const OWNER_ACTIONS = {
	draft: ['submit', 'delete'],
	rejected: ['submit'],
	published: ['close'],
	expired: ['renew'],
};
const ADMIN_ACTIONS = {
	pending_review: ['approve', 'reject'],
	published: ['suspend', 'close'],
	suspended: ['reinstate'],
};
const NEEDS_REASON = ['reject', 'suspend'];
export const EDITABLE = ['draft', 'pending_review', 'rejected', 'published'];

// Runs one action (POST /listings/{id}/{action}, or DELETE) with If-Match.
// Resolves to the API's answer; the caller shows it and reloads.
export function listingAction(listing, action, body) {
	const path = `/listings/${listing.id}`;
	if (action === 'delete') return api('DELETE', path, { ifMatch: listing.version });
	return post(`${path}/${action}`, body, { ifMatch: listing.version });
}

export function ActionsPanel({ listing, admin, onDone }) {
	const [state, setState] = useState({ busy: null, problem: null, done: null });
	const [asking, setAsking] = useState(null);
	const [confirmDelete, setConfirmDelete] = useState(false);
	const actions = (admin ? ADMIN_ACTIONS : OWNER_ACTIONS)[listing.status] || [];
	const run = async (action, body) => {
		setState({ busy: action, problem: null, done: null });
		const res = await listingAction(listing, action, body);
		if (!res.ok) {
			setState({ busy: null, problem: res.problem, done: null });
			return res;
		}
		setAsking(null);
		setConfirmDelete(false);
		if (action === 'delete') {
			navigate('/my/listings');
			return res;
		}
		setState({ busy: null, problem: null, done: action });
		onDone();
		return res;
	};
	const button = (action) => {
		if (NEEDS_REASON.includes(action)) {
			return (
				<button key={action} type="button" class="danger" aria-expanded={asking === action ? 'true' : 'false'}
					onClick={() => setAsking(asking === action ? null : action)}>
					{t(`listings.action_${action}`)}
				</button>
			);
		}
		if (action === 'delete') {
			return confirmDelete ? (
				<span key="delete" class="confirm">
					<button type="button" class="danger" disabled={!!state.busy} onClick={() => run('delete')}>{t('listings.confirm_delete')}</button>
					<button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>{t('common.cancel')}</button>
				</span>
			) : (
				<button key="delete" type="button" class="danger" onClick={() => setConfirmDelete(true)}>{t('listings.action_delete')}</button>
			);
		}
		return (
			<button key={action} type="button" class={action === 'close' ? 'secondary' : 'primary'} disabled={!!state.busy} onClick={() => run(action)}>
				{state.busy === action ? t('listings.working') : t(`listings.action_${action}`)}
			</button>
		);
	};
	const editable = !admin && EDITABLE.includes(listing.status);
	if (!actions.length && !editable && !state.done) return null;
	return (
		<section class="panel actions-panel" aria-labelledby={admin ? 'admin-actions-h' : 'owner-actions-h'}>
			<h2 id={admin ? 'admin-actions-h' : 'owner-actions-h'}>{t(admin ? 'listings.admin_actions' : 'listings.owner_actions')}</h2>
			{!admin && listing.status === 'published' ? <p class="hint">{t('listings.edit_republish')}</p> : null}
			<div class="actions">
				{editable ? <Link href={`/listings/${listing.id}/edit`} class="button secondary">{t('listings.action_edit')}</Link> : null}
				{actions.map(button)}
			</div>
			{asking ? <ReasonForm action={asking} busy={state.busy === asking} onCancel={() => setAsking(null)} run={run} /> : null}
			<WriteProblem problem={asking ? null : state.problem} />
			{state.done ? <p class="alert alert-ok" role="status">{t(`listings.done_${state.done}`)}</p> : null}
		</section>
	);
}

// Reject and suspend need the reason the organisation will read.
function ReasonForm({ action, busy, onCancel, run }) {
	const [reason, setReason] = useState('');
	const [problem, setProblem] = useState(null);
	const errors = fieldErrors(problem);
	const submit = async (e) => {
		e.preventDefault();
		setProblem(null);
		const res = await run(action, { reason: reason.trim() || null });
		if (!res.ok) setProblem(res.problem);
	};
	return (
		<form class="reason-form" onSubmit={submit} noValidate>
			<Field label={t('listings.reason_label')} name="reason" error={errors.reason} hint={t('listings.reason_hint')} required>
				{(p) => <textarea {...p} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
			</Field>
			<WriteProblem problem={problem} fields={['reason']} />
			<div class="actions">
				<button type="submit" class="danger" disabled={busy}>{t(`listings.confirm_${action}`)}</button>
				<button type="button" class="secondary" onClick={onCancel}>{t('common.cancel')}</button>
			</div>
		</form>
	);
}

// Why the listing's deals ended without agreement, for its organisation
// and administrators: a count per reason, then the latest notes.
export function Feedback({ listing }) {
	const { loading, res } = useApi(`/listings/${listing.id}/feedback`);
	let body;
	if (loading && !res) body = <Loading />;
	else if (!res?.ok) body = <Problem problem={res?.problem} />;
	else {
		const fb = res.data;
		const counted = ENUMS.reason.filter((r) => fb.counts[r] > 0);
		body = counted.length === 0 ? <p>{t('listings.feedback_none')}</p> : (
			<>
				<ul class="feedback-counts">
					{counted.map((r) => <li key={r}>{t('listings.feedback_count', { n: fb.counts[r], reason: label('reason', r) })}</li>)}
				</ul>
				<h3>{t('listings.feedback_latest')}</h3>
				<ul class="feedback-items">
					{fb.items.map((it, i) => (
						<li key={i}>
							<strong>{t(`listings.feedback_${it.state}`)}</strong> — {label('reason', it.reason)}
							{it.note ? <>: <q>{it.note}</q></> : null} <span class="meta">({dateTime(it.at)})</span>
						</li>
					))}
				</ul>
			</>
		);
	}
	return (
		<section aria-labelledby="feedback-h">
			<h2 id="feedback-h">{t('listings.feedback')}</h2>
			{body}
		</section>
	);
}
