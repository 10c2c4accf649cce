// /admin/moderation (administrators): what waits for the Department, oldest
// first.  GET /moderation/queue mixes three kinds of item; the page splits
// them into listings pending review (approve, or reject with a reason),
// organisations awaiting verification (verify with a note) and disputed
// deals (resolved on the deal's page), and adds the completed deals not yet
// verified (GET /deals?state=completed), whose verify button also lives on
// the deal's page.  Each action takes its item off the list and says what
// was done in the page's status line.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { Link } from '../router.js';
import { t, label } from '../i18n/index.js';
import { date, money } from '../format.js';
import { Badge, Field, Loading, PageTitle, Problem, fieldErrors, useNames } from '../components.jsx';
import { FormProblem } from './admin_problem.jsx';
import '../styles/admin.css';
import '../i18n/admin.js';

// Every page of a keyset-paged list (the queue is short; a cap keeps a
// runaway list from looping).  Resolves to {items} or {problem}.
async function loadAll(path, maxPages = 20) {
	const items = [];
	let cursor = null;
	for (let page = 0; page < maxPages; page++) {
		const sep = path.includes('?') ? '&' : '?';
		const res = await get(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		if (!res.ok) return { problem: res.problem };
		items.push(...res.data.items);
		cursor = res.data.next_cursor;
		if (!cursor) break;
	}
	return { items };
}

export default function ModerationPage() {
	const [state, setState] = useState({ loading: true, problem: null, queue: [], completed: [] });
	const [message, setMessage] = useState('');
	const statusRef = useRef(null);

	const load = async () => {
		setState((s) => ({ ...s, loading: true }));
		const [queue, completed] = await Promise.all([loadAll('/moderation/queue'), loadAll('/deals?state=completed')]);
		setState({
			loading: false,
			problem: queue.problem || completed.problem || null,
			queue: queue.items || [],
			// Oldest first, like the queue: the longest-waiting verification on top.
			completed: (completed.items || []).filter((d) => !d.verified).sort((a, b) => a.state_at.localeCompare(b.state_at)),
		});
	};
	useEffect(() => {
		load();
	}, []);

	// An item was dealt with: it leaves the list, the status line says so and
	// takes the focus (the button that had it is gone).
	const done = (id, text) => {
		setState((s) => ({ ...s, queue: s.queue.filter((i) => i.id !== id) }));
		setMessage(text);
		statusRef.current?.focus();
	};
	const orgVerified = (org, text) => {
		setState((s) => ({
			...s,
			queue: s.queue
				.filter((i) => i.id !== org.id)
				.map((i) => (i.type === 'listing' && i.listing.organization.id === org.id
					? { ...i, listing: { ...i.listing, organization: { ...i.listing.organization, verified: true } } }
					: i)),
		}));
		setMessage(text);
		statusRef.current?.focus();
	};
	const replaceListing = (listing) => setState((s) => ({
		...s,
		queue: s.queue.map((i) => (i.id === listing.id ? { ...i, listing } : i)),
	}));

	const listings = state.queue.filter((i) => i.type === 'listing');
	const orgs = state.queue.filter((i) => i.type === 'organization');
	const disputes = state.queue.filter((i) => i.type === 'deal');

	return (
		<>
			<PageTitle>{t('admin.mod.title')}</PageTitle>
			<p class="lead">{t('admin.mod.intro')}</p>
			<div class="status-line" role="status" tabIndex={-1} ref={statusRef}>
				{message ? <p class="alert alert-ok">{message}</p> : null}
			</div>
			{state.problem ? <Problem problem={state.problem} /> : null}
			{state.loading ? <Loading /> : null}
			<nav aria-label={t('admin.mod.sections')} class="jump">
				<ul>
					<li><a href="#mod-listings">{t('admin.mod.listings')} ({listings.length})</a></li>
					<li><a href="#mod-orgs">{t('admin.mod.orgs')} ({orgs.length})</a></li>
					<li><a href="#mod-disputes">{t('admin.mod.disputes')} ({disputes.length})</a></li>
					<li><a href="#mod-completed">{t('admin.mod.completed')} ({state.completed.length})</a></li>
				</ul>
			</nav>

			<Section id="mod-listings" title={t('admin.mod.listings')} count={listings.length} loading={state.loading}>
				{listings.map((i) => (
					<ListingItem key={i.id} item={i} orgQueued={orgs.some((o) => o.id === i.listing.organization.id)}
						onDone={done} onReplace={replaceListing} />
				))}
			</Section>
			<Section id="mod-orgs" title={t('admin.mod.orgs')} count={orgs.length} loading={state.loading}>
				{orgs.map((i) => <OrganizationItem key={i.id} item={i} onVerified={orgVerified} />)}
			</Section>
			<Section id="mod-disputes" title={t('admin.mod.disputes')} count={disputes.length} loading={state.loading}>
				{disputes.map((i) => <DisputeItem key={i.id} item={i} />)}
			</Section>
			<Section id="mod-completed" title={t('admin.mod.completed')} count={state.completed.length} loading={state.loading}
				intro={t('admin.mod.completed_intro')}>
				{state.completed.map((d) => <CompletedItem key={d.id} deal={d} />)}
			</Section>
		</>
	);
}

function Section({ id, title, count, loading, intro, children }) {
	return (
		<section class="mod-section" aria-labelledby={id}>
			<h2 id={id} tabIndex={-1}>{title} <span class="count">({count})</span></h2>
			{intro ? <p>{intro}</p> : null}
			{count ? <ul class="mod-list">{children}</ul> : (loading ? null : <p class="empty">{t('admin.mod.empty')}</p>)}
		</section>
	);
}

// Moves the keyboard to an organisation's verification note (the shortcut
// beside a listing that could not be approved).
function focusVerify(orgId) {
	const el = document.querySelector(`[data-verify-note="${orgId}"]`);
	if (!el) return;
	el.scrollIntoView({ block: 'center' });
	el.focus();
}

function Parties({ deal }) {
	const name = (o) => o.name || `${label('org_kind', o.kind)} (${t('admin.mod.anonymous')})`;
	return (
		<p class="meta">
			{t('admin.mod.parties', { listing: name(deal.listing_organization), initiator: name(deal.initiator_organization) })}
		</p>
	);
}

function ListingItem({ item, orgQueued, onDone, onReplace }) {
	const l = item.listing;
	const org = l.organization;
	const [rejecting, setRejecting] = useState(false);
	const [reason, setReason] = useState('');
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const [blocked, setBlocked] = useState(false);
	const reasonRef = useRef(null);

	// A refusal: 409 because the organisation is unverified is said in words
	// with the shortcut; a stale version reloads the listing so that a second
	// click acts on what is there now.
	const refused = async (res) => {
		if (res.status === 409 && !org.verified) {
			setBlocked(true);
			return;
		}
		if (res.status !== 412) {
			setProblem(res.problem);
			return;
		}
		const fresh = await get(`/listings/${l.id}`);
		if (fresh.ok && fresh.data.status !== 'pending_review') {
			onDone(l.id, t('admin.mod.gone', { title: l.title, status: label('status', fresh.data.status) }));
			return;
		}
		if (fresh.ok) onReplace(fresh.data);
		setProblem({ title: t('admin.mod.stale'), errors: [] });
	};
	const approve = async () => {
		setBusy(true);
		setProblem(null);
		setBlocked(false);
		const res = await post(`/listings/${l.id}/approve`, {}, { ifMatch: l.version });
		setBusy(false);
		if (res.ok) onDone(l.id, t('admin.mod.approved', { title: l.title }));
		else await refused(res);
	};
	const reject = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		const res = await post(`/listings/${l.id}/reject`, { reason: reason.trim() }, { ifMatch: l.version });
		setBusy(false);
		if (res.ok) onDone(l.id, t('admin.mod.rejected', { title: l.title }));
		else await refused(res);
	};
	const errors = fieldErrors(problem);
	useEffect(() => {
		if (rejecting) reasonRef.current?.focus();
	}, [rejecting]);

	return (
		<li class="card mod-item" data-testid="moderation-listing">
			<h3><Link href={`/listings/${l.ref}`}>{l.title}</Link></h3>
			<p class="meta">{l.ref} · {label('kind', l.kind)}</p>
			<dl class="pairs">
				<div><dt>{t('admin.mod.organization')}</dt><dd>{org.id ? <Link href={`/organizations/${org.id}`}>{org.name}</Link> : org.name}</dd></div>
				<div>
					<dt>{t('admin.mod.verified')}</dt>
					<dd>{org.verified
						? <span class="badge badge-on_track">{t('admin.mod.org_verified')}</span>
						: <span class="badge badge-at_risk">{t('admin.mod.org_unverified')}</span>}</dd>
				</div>
				<div><dt>{t('admin.mod.submitted')}</dt><dd>{date(item.since)}</dd></div>
			</dl>
			{blocked && !org.verified ? (
				<div class="alert alert-error" role="alert">
					<p>{t('admin.mod.blocked', { org: org.name })}</p>
					{orgQueued ? (
						<button type="button" class="secondary" onClick={() => focusVerify(org.id)}>{t('admin.mod.go_verify')}</button>
					) : (
						<p><Link href={`/organizations/${org.id}`}>{t('admin.mod.open_org')}</Link></p>
					)}
				</div>
			) : null}
			<FormProblem problem={problem} fields={rejecting ? ['reason'] : []} />
			{rejecting ? (
				<form class="reject-form" onSubmit={reject} noValidate>
					<Field label={t('admin.mod.reason')} name="reason" error={errors.reason} hint={t('admin.mod.reason_hint')} required>
						{(p) => <textarea {...p} ref={reasonRef} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
					</Field>
					<div class="actions">
						<button type="submit" class="danger" disabled={busy}>{t('admin.mod.confirm_reject')}</button>
						<button type="button" class="secondary" onClick={() => { setRejecting(false); setProblem(null); }}>{t('common.cancel')}</button>
					</div>
				</form>
			) : (
				<div class="actions">
					<button type="button" class="primary" disabled={busy} onClick={approve}>
						{t('admin.mod.approve')}<span class="visually-hidden">: {l.title}</span>
					</button>
					<button type="button" class="secondary" disabled={busy} onClick={() => setRejecting(true)}>
						{t('admin.mod.reject')}<span class="visually-hidden">: {l.title}</span>
					</button>
				</div>
			)}
		</li>
	);
}

function OrganizationItem({ item, onVerified }) {
	const o = item.organization;
	const names = useNames();
	const [note, setNote] = useState('');
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const verify = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		const text = note.trim();
		const res = await post(`/organizations/${o.id}/verify`, text ? { note: text } : {});
		setBusy(false);
		if (res.ok) onVerified(o, t('admin.mod.verified_done', { name: o.name }));
		else if (res.status === 409) onVerified(o, t('admin.mod.already_verified', { name: o.name }));
		else setProblem(res.problem);
	};
	const errors = fieldErrors(problem);
	return (
		<li class="card mod-item" data-testid="moderation-organization">
			<h3><Link href={`/organizations/${o.id}`}>{o.name}</Link></h3>
			<dl class="pairs">
				<div><dt>{t('admin.mod.kind')}</dt><dd>{label('org_kind', o.kind)}</dd></div>
				<div><dt>{t('admin.mod.tax_code')}</dt><dd>{o.tax_code || t('admin.mod.none')}</dd></div>
				<div><dt>{t('admin.mod.province')}</dt><dd>{names.province(o.province)}</dd></div>
				<div><dt>{t('admin.mod.registered')}</dt><dd>{date(o.created_at)}</dd></div>
			</dl>
			{o.description ? <p class="org-description">{o.description}</p> : null}
			<FormProblem problem={problem} fields={['note']} />
			<form onSubmit={verify} noValidate>
				<Field label={t('admin.mod.note')} name="note" error={errors.note} hint={t('admin.mod.note_hint')}>
					{(p) => <textarea {...p} data-verify-note={o.id} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
				</Field>
				<div class="actions">
					<button type="submit" class="primary" disabled={busy}>
						{t('admin.mod.verify')}<span class="visually-hidden">: {o.name}</span>
					</button>
				</div>
			</form>
		</li>
	);
}

function DisputeItem({ item }) {
	const d = item.deal;
	return (
		<li class="card mod-item" data-testid="moderation-deal">
			<h3><Link href={`/deals/${d.id}`}>{item.title}</Link></h3>
			<p class="meta">{d.listing.ref} · <Badge group="deal_state" value={d.state} /></p>
			<Parties deal={d} />
			<dl class="pairs">
				<div><dt>{t('admin.mod.disputed_since')}</dt><dd>{date(item.since)}</dd></div>
				{d.disputed_from ? <div><dt>{t('admin.mod.disputed_from')}</dt><dd>{label('deal_state', d.disputed_from)}</dd></div> : null}
			</dl>
			<p><Link href={`/deals/${d.id}`}>{t('admin.mod.resolve')}<span class="visually-hidden">: {item.title}</span></Link></p>
		</li>
	);
}

function CompletedItem({ deal: d }) {
	return (
		<li class="card mod-item" data-testid="moderation-completed">
			<h3><Link href={`/deals/${d.id}`}>{d.listing.title}</Link></h3>
			<p class="meta">{d.listing.ref} · {label('kind', d.listing.kind)}</p>
			<Parties deal={d} />
			<dl class="pairs">
				<div><dt>{t('admin.mod.contract')}</dt><dd>{d.contract_ref || '—'}</dd></div>
				<div><dt>{t('admin.mod.value')}</dt><dd>{d.value_vnd == null ? '—' : money(d.value_vnd)}</dd></div>
				<div><dt>{t('admin.mod.completed_on')}</dt><dd>{date(d.state_at)}</dd></div>
			</dl>
			<p><Link href={`/deals/${d.id}`}>{t('admin.mod.open_verify')}<span class="visually-hidden">: {d.listing.title}</span></Link></p>
		</li>
	);
}
