// /notifications: what happened to the caller's organisation and listings,
// newest first, each with a link to what it is about (a deal, a listing or
// the organisation, by the Notification schema's `data`), "mark read" one
// by one and "mark all read".  Following a notice's link marks it read too.
import { useState } from 'preact/hooks';
import { post, query } from '../api.js';
import { MoreButton, PageTitle, Problem, usePagedList } from '../components.jsx';
import { dateTime } from '../format.js';
import { t } from '../i18n/index.js';
import { Link, location, navigate, searchParams } from '../router.js';
import { useSignal } from '../signal.js';
import '../styles/deals.css';
import '../i18n/deals.js';

// Where a notification points, and the words of that link.
function target(n) {
	const d = n.data || {};
	if (d.deal_id) return { href: `/deals/${d.deal_id}`, text: t('notif.open_deal') };
	if (n.kind === 'organization_verified' && d.organization_id) return { href: `/organizations/${d.organization_id}`, text: t('notif.open_org') };
	if (n.listing_id) return { href: `/listings/${n.listing_id}`, text: d.ref ? t('notif.open_listing_ref', { ref: d.ref }) : t('notif.open_listing') };
	return null;
}

function Item({ n, onRead }) {
	const [busy, setBusy] = useState(false);
	const to = target(n);
	const markRead = async () => {
		setBusy(true);
		const res = await post(`/notifications/${n.id}/read`);
		setBusy(false);
		onRead(n, res);
	};
	return (
		<li class={`notification${n.read ? '' : ' unread'}`} data-testid="notification">
			<p class="notification-head">
				{n.read ? null : <span class="badge badge-unread">{t('notif.unread')}</span>}{' '}
				<span class="notification-kind">{t(`notif.kind.${n.kind}`)}</span>{' '}
				<time class="meta" dateTime={n.created_at}>{dateTime(n.created_at)}</time>
			</p>
			<p lang="vi">{n.message}</p>
			<div class="actions compact">
				{/* A click on the link (which Link turns into a navigation) bubbles here. */}
				{to ? <span onClick={() => !n.read && post(`/notifications/${n.id}/read`)}><Link href={to.href}>{to.text}</Link></span> : null}
				{n.read ? null : (
					<button type="button" class="linklike" disabled={busy} aria-label={`${t('notif.mark_read')}: ${n.message}`} onClick={markRead}>
						{t('notif.mark_read')}
					</button>
				)}
			</div>
		</li>
	);
}

export default function NotificationsPage() {
	useSignal(location);
	const unreadOnly = searchParams().unread === 'true';
	const list = usePagedList(`/notifications${query({ unread: unreadOnly ? 'true' : '', limit: 20 })}`);
	const [status, setStatus] = useState(null);
	const [problem, setProblem] = useState(null);
	const [read, setRead] = useState({});
	const toggle = (e) => navigate(`/notifications${e.currentTarget.checked ? '?unread=true' : ''}`, { replace: true });
	const onRead = (n, res) => {
		if (!res.ok) {
			setProblem(res.problem);
			return;
		}
		setProblem(null);
		setRead({ ...read, [n.id]: true });
		setStatus(t('notif.marked_one'));
	};
	const markAll = async () => {
		setProblem(null);
		const res = await post('/notifications/read-all');
		if (!res.ok) {
			setProblem(res.problem);
			return;
		}
		setStatus(t('notif.marked_all', { n: res.data.marked_read }));
		setRead({});
		list.reload();
	};
	// Marked read here but still listed (an "unread only" page keeps them
	// until it is loaded again, so that the list does not jump).
	const items = list.items.map((n) => (read[n.id] ? { ...n, read: true } : n));
	return (
		<>
			<PageTitle>{t('notif.title')}</PageTitle>
			<div class="toolbar">
				<label class="check">
					<input type="checkbox" checked={unreadOnly} onChange={toggle} /> {t('notif.unread_only')}
				</label>
				<button type="button" class="secondary" onClick={markAll}>{t('notif.mark_all')}</button>
			</div>
			<div role="status" class="status-line">{status ? <p class="alert alert-ok">{status}</p> : null}</div>
			<Problem problem={problem || list.problem} />
			{!list.loading && !list.problem && items.length === 0 ? (
				<p class="empty">{unreadOnly ? t('notif.none_unread') : t('notif.none')}</p>
			) : null}
			<ul class="notifications">
				{items.map((n) => <Item key={n.id} n={n} onRead={onRead} />)}
			</ul>
			<MoreButton list={list} />
		</>
	);
}
