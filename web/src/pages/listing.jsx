// A listing's page (/listings/:id, :id a ref or uuid): every field the API
// shows this caller, its lifecycle actions for its organisation or an
// administrator, the feedback on its deals, the form to express interest
// (members of other organisations) and its matches on the other side of
// the market.
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { Link, navigate, location } from '../router.js';
import { session } from '../session.js';
import { useSignal } from '../signal.js';
import { t, label } from '../i18n/index.js';
import { Badge, Field, Loading, PageTitle, Problem, fieldErrors, useApi, useNames } from '../components.jsx';
import { date, money } from '../format.js';
import { OrgName, price, useIdempotencyKey, useIndicators, useIndicatorTitle } from './listings_shared.jsx';
import { ActionsPanel, Feedback } from './listings_actions.jsx';
import { Matches } from './listings_matches.jsx';
import '../i18n/listings.js';

export default function ListingPage({ id }) {
	const s = useSignal(session);
	const loc = useSignal(location);
	const { loading, res, reload } = useApi(`/listings/${encodeURIComponent(id)}`);
	if (loading && !res) return <Loading />;
	if (!res?.ok) {
		if (res?.status === 404) {
			return (
				<>
					<PageTitle>{t('listings.not_found')}</PageTitle>
					<p>{t('listings.not_found_hint')}</p>
					<p><Link href="/">{t('listings.back_search')}</Link></p>
				</>
			);
		}
		return <Problem problem={res?.problem} />;
	}
	const l = res.data;
	const admin = s.user?.role === 'admin';
	const owner = !!s.organization && s.organization.id === l.organization?.id;
	return (
		<article class="listing">
			<p class="card-kind">
				<span class={`kind kind-${l.kind}`}>{label('kind', l.kind)}</span>
				<span class="ref">{l.ref}</span>
				<span data-testid="listing-status"><Badge group="status" value={l.status} /></span>
			</p>
			<PageTitle text={l.title}>{l.title}</PageTitle>
			{l.summary ? <p class="lead">{l.summary}</p> : null}
			{l.status === 'draft' && /submit_failed=1/.test(loc.search) ? (
				<p class="alert alert-error" role="alert">{t('listings.submit_failed')}</p>
			) : null}
			<StatusNotice listing={l} />
			<div class="listing-layout">
				<div class="listing-main">
					<Facts listing={l} />
					{l.description ? (
						<section aria-labelledby="desc-h">
							<h2 id="desc-h">{t('listings.description')}</h2>
							<Paragraphs text={l.description} />
						</section>
					) : null}
					{l.equipment ? <EquipmentTable equipment={l.equipment} /> : null}
					{l.confidential ? (
						<section aria-labelledby="conf-h" class="confidential">
							<h2 id="conf-h">{t('listings.confidential')}</h2>
							<p class="hint">{t('listings.confidential_note')}</p>
							<Paragraphs text={l.confidential} />
						</section>
					) : null}
				</div>
				<aside class="listing-side" aria-label={t('listings.side')}>
					{owner || admin ? <ActionsPanel listing={l} admin={admin} onDone={reload} /> : null}
					{!owner && !admin ? <Interest listing={l} signedIn={!!s.token} /> : null}
				</aside>
			</div>
			{owner || admin ? <Feedback listing={l} /> : null}
			<Matches key={`${l.id}-${l.version}`} listing={l} />
		</article>
	);
}

function Paragraphs({ text }) {
	return text.split(/\n{2,}|\r\n\r\n/).map((p, i) => <p key={i} class="prose">{p}</p>);
}

// What the organisation (and administrators) need to know about the status.
function StatusNotice({ listing: l }) {
	if ((l.status === 'rejected' || l.status === 'suspended') && l.status_reason) {
		return (
			<div class="alert alert-error" role="note">
				<p><strong>{t(`listings.reason_${l.status}`)}</strong></p>
				<p class="prose">{l.status_reason}</p>
			</div>
		);
	}
	if (l.status !== 'published') return <p class="alert alert-info">{t(`listings.notice_${l.status}`)}</p>;
	return null;
}

function Facts({ listing: l }) {
	const names = useNames();
	const indicators = useIndicators();
	const indTitle = useIndicatorTitle();
	const row = (key, value) => (value === null || value === undefined || value === '' ? null : (
		<div><dt>{t(key)}</dt><dd>{value}</dd></div>
	));
	const indicatorNames = l.indicators.map((code) => {
		const ind = indicators.find((i) => i.code === code);
		return <li key={code}><Link href={`/indicators#${code}`}>{code}</Link>{ind ? ` — ${indTitle(ind)}` : ''}</li>;
	});
	return (
		<section aria-labelledby="facts-h">
			<h2 id="facts-h" class="visually-hidden">{t('listings.facts')}</h2>
			<dl class="facts">
				{row('listings.kind', label('kind', l.kind))}
				{row('listings.ref', l.ref)}
				{row('listings.sector', `${l.sector} — ${names.sector(l.sector)}`)}
				{row('listings.province', names.province(l.province))}
				{row('listings.trl', l.trl ? t('listings.trl_value', { n: l.trl }) : null)}
				{row('listings.ip_status', l.ip_status ? label('ip_status', l.ip_status) : null)}
				{row('listings.transfer_modes', l.transfer_modes.length ? l.transfer_modes.map((m) => label('transfer_mode', m)).join(', ') : null)}
				{row('listings.price', price(l))}
				{row('listings.keywords', l.keywords.length ? (
					<ul class="tags">{l.keywords.map((k) => <li key={k}>{k}</li>)}</ul>
				) : null)}
				{row('listings.organization', <OrgName org={l.organization} link />)}
				{row('listings.st_task', l.st_task)}
				{row('listings.indicators', indicatorNames.length ? <ul class="plain">{indicatorNames}</ul> : null)}
				{row('listings.published_at', l.published_at ? date(l.published_at) : null)}
				{row('listings.expires_at', l.expires_at ? date(l.expires_at) : null)}
				{row('listings.updated_at', date(l.updated_at))}
				{l.anonymous ? row('listings.anonymous', t('listings.anonymous_yes')) : null}
			</dl>
		</section>
	);
}

function EquipmentTable({ equipment: e }) {
	return (
		<section aria-labelledby="equip-h">
			<h2 id="equip-h">{t('listings.equipment')}</h2>
			<div class="table-wrap">
				<table>
					<thead>
						<tr>
							<th scope="col">{t('listings.eq_condition')}</th>
							<th scope="col">{t('listings.eq_manufacturer')}</th>
							<th scope="col">{t('listings.eq_model')}</th>
							<th scope="col">{t('listings.eq_year')}</th>
							<th scope="col">{t('listings.eq_quantity')}</th>
						</tr>
					</thead>
					<tbody>
						<tr>
							<td>{label('condition', e.condition)}</td>
							<td>{e.manufacturer || '—'}</td>
							<td>{e.model || '—'}</td>
							<td>{e.year ?? '—'}</td>
							<td>{e.quantity ?? '—'}</td>
						</tr>
					</tbody>
				</table>
			</div>
		</section>
	);
}

// "Bày tỏ quan tâm": opens a deal with the listing's organisation.
function Interest({ listing, signedIn }) {
	const loc = useSignal(location);
	const keyFor = useIdempotencyKey();
	const [message, setMessage] = useState('');
	const [value, setValue] = useState('');
	const [state, setState] = useState({ busy: false, problem: null });
	if (listing.status !== 'published') return null;
	if (!signedIn) {
		return (
			<section class="panel" aria-labelledby="interest-h">
				<h2 id="interest-h">{t('listings.interest')}</h2>
				<p>{t('listings.interest_login')}</p>
				<p><Link class="button" href={`/login?next=${encodeURIComponent(loc.path)}`}>{t('nav.login')}</Link></p>
			</section>
		);
	}
	const errors = fieldErrors(state.problem);
	const digits = value.replace(/[.,\s]/g, '');
	const submit = async (e) => {
		e.preventDefault();
		setState({ busy: true, problem: null });
		const body = { message };
		if (digits) body.proposed_value_vnd = /^\d+$/.test(digits) ? Number(digits) : value;
		const res = await post(`/listings/${listing.id}/interests`, body, { idempotencyKey: keyFor(body) });
		if (res.ok) navigate(`/deals/${res.data.id}`);
		else setState({ busy: false, problem: res.problem });
	};
	return (
		<section class="panel" aria-labelledby="interest-h">
			<h2 id="interest-h">{t('listings.interest')}</h2>
			<p class="hint">{t('listings.interest_hint')}</p>
			<form onSubmit={submit} noValidate>
				<Field label={t('listings.interest_message')} name="message" error={errors.message} required>
					{(p) => <textarea {...p} maxLength={5000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />}
				</Field>
				<Field label={t('listings.interest_value')} name="proposed_value_vnd" error={errors.proposed_value_vnd}
					hint={/^\d+$/.test(digits) ? money(Number(digits)) : t('listings.interest_value_hint')}>
					{(p) => <input {...p} type="text" inputMode="numeric" value={value} onInput={(e) => setValue(e.currentTarget.value)} />}
				</Field>
				{state.problem?.deal_id ? (
					<div class="alert alert-info" role="alert">
						<p>{t('listings.has_open_deal')}</p>
						<p><Link href={`/deals/${state.problem.deal_id}`}>{t('listings.open_deal')}</Link></p>
					</div>
				) : <Problem problem={state.problem} fields={['message', 'proposed_value_vnd']} />}
				<button type="submit" class="primary" disabled={state.busy}>{t('listings.interest_send')}</button>
			</form>
		</section>
	);
}
