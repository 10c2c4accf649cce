// /deals/:id: one deal as its two parties (and the Department's
// administrators) see it: the listing, both sides, the state, values and
// contract, the two-sided agreement, the actions open to the caller now
// (deals_actions.jsx), the message thread and the history in words.
import { useEffect, useRef, useState } from 'preact/hooks';
import { newKey, post } from '../api.js';
import { Field, Loading, MoreButton, PageTitle, Problem, fieldErrors, useApi, usePagedList, useNames } from '../components.jsx';
import { dateTime, money } from '../format.js';
import { ENUMS, label, t } from '../i18n/index.js';
import { Link } from '../router.js';
import { isAdmin } from '../session.js';
import { DealActions } from './deals_actions.jsx';
import { DealStateBadge, orgText } from './deals_shared.jsx';
import '../styles/deals.css';
import '../i18n/deals.js';

const TERMINAL = ['declined', 'withdrawn', 'lapsed', 'cancelled', 'completed'];

// Who acted or wrote: the person's name and their side, or the side alone.
function who(actor) {
	const side = t(`deals.side.${actor.side}`);
	return actor.display_name ? `${actor.display_name} (${side})` : side;
}

// A reason is one of the fixed list for declined/withdrawn, free text for cancelled.
const reasonText = (r) => (ENUMS.reason.includes(r) ? label('reason', r) : r);

function OrgLink({ org, provinceName }) {
	const text = orgText(org, provinceName);
	return org?.id ? <Link href={`/organizations/${org.id}`}>{text}</Link> : text;
}

function Summary({ deal, provinceName }) {
	const mine = (side) => (deal.my_side === side ? <span class="you"> {t('deal.your_side')}</span> : null);
	return (
		<dl class="facts">
			<dt>{t('deal.listing')}</dt>
			<dd>
				<Link href={`/listings/${deal.listing.id}`}>{deal.listing.title}</Link>
				<span class="meta"> {deal.listing.ref} · {label('kind', deal.listing.kind)}</span>
			</dd>
			<dt>{t('deals.side.listing')}</dt>
			<dd><OrgLink org={deal.listing_organization} provinceName={provinceName} />{mine('listing')}</dd>
			<dt>{t('deals.side.initiator')}</dt>
			<dd><OrgLink org={deal.initiator_organization} provinceName={provinceName} />{mine('initiator')}</dd>
			{deal.my_role ? (
				<>
					<dt>{t('deal.my_role')}</dt>
					<dd>{t(`deals.role.${deal.my_role}`)}</dd>
				</>
			) : null}
			<dt>{t('deal.state')}</dt>
			<dd>
				<DealStateBadge state={deal.state} /> <span class="meta">{t('deal.since', { at: dateTime(deal.state_at) })}</span>
				{deal.disputed_from ? <p class="meta">{t('deal.disputed_from', { state: label('deal_state', deal.disputed_from) })}</p> : null}
			</dd>
			<dt>{t('deal.proposed_value')}</dt>
			<dd>{deal.proposed_value_vnd === null ? t('deal.no_value') : money(deal.proposed_value_vnd)}</dd>
			<dt>{t('deal.value')}</dt>
			<dd>{deal.value_vnd === null ? t('deal.not_yet') : money(deal.value_vnd)}</dd>
			<dt>{t('deal.contract_ref')}</dt>
			<dd>{deal.contract_ref || t('deal.not_yet')}</dd>
			<dt>{t('deal.verified')}</dt>
			<dd data-testid="deal-verified">
				{deal.verified ? (
					<span class="verified-mark">{t('deal.verified_yes', { at: dateTime(deal.verified_at) })}</span>
				) : t(deal.state === 'completed' ? 'deal.verified_waiting' : 'deal.verified_no')}
			</dd>
			{deal.reason || deal.note ? (
				<>
					<dt>{t('deal.last_reason')}</dt>
					<dd>
						{deal.reason ? <p>{reasonText(deal.reason)}</p> : null}
						{deal.note ? <p class="pre">{deal.note}</p> : null}
					</dd>
				</>
			) : null}
			<dt>{t('deal.opened')}</dt>
			<dd>{dateTime(deal.created_at)}</dd>
		</dl>
	);
}

// Which side has confirmed the agreement (the deal becomes "agreed" once both have).
function Agreement({ deal }) {
	const c = deal.confirmations || {};
	if (deal.state !== 'negotiating' && !c.listing && !c.initiator) return null;
	const other = deal.my_side === 'listing' ? 'initiator' : 'listing';
	let status = null;
	if (deal.state === 'negotiating' && deal.my_side && c[deal.my_side] && !c[other]) status = t('deal.waiting_other');
	else if (deal.state === 'negotiating' && deal.my_side && !c[deal.my_side] && c[other]) status = t('deal.other_confirmed');
	return (
		<section aria-labelledby="agreement-title" class="panel agreement">
			<h2 id="agreement-title">{t('deal.agreement')}</h2>
			<p class="hint">{t('deal.agreement_hint')}</p>
			<ul class="sides">
				{['listing', 'initiator'].map((side) => (
					<li key={side} data-testid={`confirmation-${side}`}>
						<strong>{t(`deals.side.${side}`)}{deal.my_side === side ? ` ${t('deal.your_side')}` : ''}:</strong>{' '}
						{c[side] ? (
							<span class="confirmed">✓ {t('deal.confirmed_at', { at: dateTime(c[side].at) })}</span>
						) : (
							<span class="unconfirmed">{t('deal.not_confirmed')}</span>
						)}
					</li>
				))}
			</ul>
			{status ? <p role="status" class="agreement-status">{status}</p> : null}
		</section>
	);
}

function Messages({ deal }) {
	const list = usePagedList(`/deals/${deal.id}/messages?limit=50`);
	const [key, setKey] = useState(newKey);
	const [body, setBody] = useState('');
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const [sent, setSent] = useState(false);
	const closed = TERMINAL.includes(deal.state);
	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		setSent(false);
		const res = await post(`/deals/${deal.id}/messages`, { body: body.trim() }, { idempotencyKey: key });
		setBusy(false);
		if (!res.ok) {
			setProblem(res.problem);
			return;
		}
		setBody('');
		setKey(newKey());
		setSent(true);
		list.reload();
	};
	const errors = fieldErrors(problem);
	return (
		<section aria-labelledby="messages-title">
			<h2 id="messages-title">{t('deal.messages')}</h2>
			<Problem problem={list.problem} />
			{!list.loading && !list.problem && list.items.length === 0 ? <p class="meta">{t('deal.no_messages')}</p> : null}
			<ol class="thread">
				{list.items.map((m) => (
					<li key={m.id} class={`message message-${m.author.side}`}>
						<p class="message-head">
							<strong>{who(m.author)}</strong> <time class="meta" dateTime={m.created_at}>{dateTime(m.created_at)}</time>
						</p>
						<p class="pre">{m.body}</p>
					</li>
				))}
			</ol>
			<MoreButton list={list} />
			{closed ? (
				<p class="meta">{t('deal.thread_closed')}</p>
			) : (
				<form onSubmit={submit} noValidate class="message-form">
					<Problem problem={problem} fields={['body']} />
					<Field label={t('deal.message_body')} name="body" error={errors.body} required>
						{(p) => <textarea {...p} maxLength={5000} value={body} onInput={(e) => setBody(e.currentTarget.value)} />}
					</Field>
					<div class="actions">
						<button type="submit" class="primary" disabled={busy}>{t('deal.send_message')}</button>
					</div>
					{sent ? <p role="status" class="visually-hidden">{t('deal.message_sent')}</p> : null}
				</form>
			)}
		</section>
	);
}

function eventText(e) {
	const vars = { who: who(e.actor), from: label('deal_state', e.from_state), to: label('deal_state', e.to_state) };
	if (e.kind === 'transition' && e.actor.side === 'system') return t('deal.ev.system_transition', vars);
	return t(`deal.ev.${e.kind}`, vars);
}

function History({ deal }) {
	const list = usePagedList(`/deals/${deal.id}/events?limit=100`);
	return (
		<section aria-labelledby="history-title">
			<h2 id="history-title">{t('deal.history')}</h2>
			<Problem problem={list.problem} />
			<ol class="timeline">
				{list.items.map((e) => (
					<li key={e.id}>
						<time class="meta" dateTime={e.at}>{dateTime(e.at)}</time>
						<p>{eventText(e)}</p>
						{e.reason ? <p class="meta">{t('deal.reason')}: {reasonText(e.reason)}</p> : null}
						{e.note ? <p class="meta pre">{t('deal.note')}: {e.note}</p> : null}
					</li>
				))}
			</ol>
			<MoreButton list={list} />
		</section>
	);
}

export default function DealPage({ id }) {
	const { loading, res, reload } = useApi(`/deals/${encodeURIComponent(id)}`);
	const [deal, setDeal] = useState(null);
	const [outcome, setOutcome] = useState(null);
	const [historyTick, setHistoryTick] = useState(0);
	const provinceName = useNames().province;
	const admin = isAdmin();
	// After an action its buttons are replaced: keyboard focus goes to
	// what happened instead of falling back to the top of the page.
	const outcomeRef = useRef(null);
	useEffect(() => {
		if (outcome) outcomeRef.current?.focus();
	}, [outcome]);
	// The latest copy: a transition's answer, else what GET gave.
	const current = deal && res?.ok && deal.version >= res.data.version ? deal : res?.ok ? res.data : null;
	if (!current) {
		if (loading || !res) return <Loading />;
		return (
			<>
				<PageTitle>{res.status === 404 ? t('deal.not_found') : t('common.error')}</PageTitle>
				<Problem problem={res.problem} />
				<p><Link href="/deals">{t('deal.back')}</Link></p>
			</>
		);
	}
	const onDone = (action, r) => {
		if (r.ok) {
			setDeal(r.data);
			setHistoryTick((n) => n + 1);
			const stayed = action.id === 'confirm' && r.data.state === 'negotiating';
			let text;
			if (action.id === 'verify') text = t('deal.done_verify');
			else if (stayed) text = t('deal.done_confirm');
			else text = t('deal.done', { state: label('deal_state', r.data.state) });
			setOutcome({ ok: true, text });
			return;
		}
		setOutcome({ ok: false, problem: r.problem, stale: r.status === 409 || r.status === 412 });
		if (r.status === 409 || r.status === 412) {
			setDeal(null);
			reload();
			setHistoryTick((n) => n + 1);
		}
	};
	return (
		<>
			<p class="breadcrumb"><Link href="/deals">{t('deal.back')}</Link></p>
			<PageTitle text={t('deal.title', { title: current.listing.title })}>
				<span class="kicker">{t('deal.kicker')}</span> {current.listing.title}
			</PageTitle>
			<div ref={outcomeRef} tabIndex={-1} class="outcome">
				{outcome?.ok ? <div class="alert alert-ok" role="status">{outcome.text}</div> : null}
				{outcome && !outcome.ok ? (
					<>
						<Problem problem={outcome.problem} />
						{outcome.stale ? <p class="alert alert-info" role="status">{t('deal.reloaded')}</p> : null}
					</>
				) : null}
			</div>
			<div class="deal-layout">
				<div>
					<section aria-labelledby="summary-title">
						<h2 id="summary-title" class="visually-hidden">{t('deal.summary')}</h2>
						<Summary deal={current} provinceName={provinceName} />
						<h3>{t('deal.first_message')}</h3>
						<blockquote class="pre">{current.message}</blockquote>
					</section>
					<Agreement deal={current} />
					<section aria-labelledby="actions-title">
						<h2 id="actions-title">{admin ? t('deal.actions_admin') : t('deal.actions')}</h2>
						<DealActions key={current.version} deal={current} admin={admin} onDone={onDone} />
					</section>
				</div>
				<div>
					<Messages deal={current} />
					<History key={historyTick} deal={current} />
				</div>
			</div>
		</>
	);
}
