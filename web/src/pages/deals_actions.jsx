// What the caller may do to a deal now, and the forms that do it.  ACTIONS
// is the API's transition table (POST /deals/{id}/transitions) seen from
// the page: the states each action starts from, who may take it and the
// fields it asks for; the admin's verification of a completed deal
// (POST /deals/{id}/verify) is the last row.  Every write sends If-Match
// with the deal's version; a 409 or 412 means the deal changed meanwhile,
// so the page shows why and loads it again.
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { Field, Problem, useForm } from '../components.jsx';
import { money } from '../format.js';
import { ENUMS, label, t } from '../i18n/index.js';
import '../i18n/deals.js';

const OPEN = ['proposed', 'negotiating', 'agreed', 'contracted'];

// `by`: 'listing' or 'initiator' (that side only), 'party' (either side),
// 'admin'.  `fields`: the inputs of its form; none means one click does it.
export const ACTIONS = [
	{ id: 'accept', to: 'negotiating', from: ['proposed'], by: 'listing', fields: [] },
	{ id: 'decline', to: 'declined', from: ['proposed'], by: 'listing', fields: ['reason', 'note'] },
	{ id: 'withdraw', to: 'withdrawn', from: ['proposed', 'negotiating'], by: 'initiator', fields: ['reason', 'note'] },
	{ id: 'confirm', to: 'agreed', from: ['negotiating'], by: 'party', fields: [] },
	{ id: 'contract', to: 'contracted', from: ['agreed'], by: 'party', fields: ['contract_ref', 'value_vnd', 'note'] },
	{ id: 'complete', to: 'completed', from: ['contracted'], by: 'party', fields: ['note'] },
	{ id: 'dispute', to: 'disputed', from: OPEN, by: 'party', fields: ['note'] },
	{ id: 'resolve', to: 'negotiating', from: ['disputed'], by: 'admin', fields: ['note'] },
	{ id: 'resolve_cancel', to: 'cancelled', from: ['disputed'], by: 'admin', fields: ['reason_text', 'note'] },
	{ id: 'cancel', to: 'cancelled', from: OPEN, by: 'admin', fields: ['reason_text', 'note'] },
	{ id: 'verify', to: null, from: ['completed'], by: 'admin', fields: ['note'] },
];

// The actions open to this caller on this deal now.
export function allowedActions(deal, admin) {
	return ACTIONS.filter((a) => {
		if (!a.from.includes(deal.state)) return false;
		if (admin) return a.by === 'admin' && !(a.id === 'verify' && deal.verified);
		if (!deal.my_side) return false;
		if (a.by !== 'party' && a.by !== deal.my_side) return false;
		// A side confirms the agreement once; then it waits for the other.
		return !(a.id === 'confirm' && deal.confirmations?.[deal.my_side]);
	});
}

// "85.000.000", "85 000 000" or "85000000" -> 85000000; "" -> null.
function parseVnd(text) {
	const digits = text.replace(/[\s.,_]/g, '');
	if (!digits) return null;
	return /^\d+$/.test(digits) ? Number(digits) : Number.NaN;
}

function requestBody(action, values) {
	const body = {};
	if (action.to) body.to = action.to;
	const note = values.note.trim();
	if (note) body.note = note;
	if (action.fields.includes('reason') && values.reason) body.reason = values.reason;
	if (action.fields.includes('reason_text') && values.reason_text.trim()) body.reason = values.reason_text.trim();
	if (action.fields.includes('contract_ref') && values.contract_ref.trim()) body.contract_ref = values.contract_ref.trim();
	if (action.fields.includes('value_vnd')) {
		const v = parseVnd(values.value_vnd);
		if (v !== null) body.value_vnd = Number.isNaN(v) ? values.value_vnd : v;
	}
	return body;
}

// Sends one action; resolves to the API's answer.
function send(deal, action, body) {
	if (action.id === 'verify') return post(`/deals/${deal.id}/verify`, body, { ifMatch: deal.version });
	return post(`/deals/${deal.id}/transitions`, body, { ifMatch: deal.version });
}

const EMPTY = { reason: '', reason_text: '', note: '', contract_ref: '', value_vnd: '' };

function ActionForm({ deal, action, onClose, onResult }) {
	const { values, set, busy, problem, errors, submit } = useForm(EMPTY, {
		send: (v) => send(deal, action, requestBody(action, v)),
		shows: (res) => res.status === 422,
		done: (res) => onResult(action, res),
	});
	const preview = parseVnd(values.value_vnd);
	const shown = ['reason', 'note', 'contract_ref', 'value_vnd'];
	return (
		<form class="panel action-form" onSubmit={submit} noValidate aria-labelledby={`action-${action.id}-title`}>
			<h3 id={`action-${action.id}-title`}>{t(`deal.act.${action.id}`)}</h3>
			<p class="hint">{t(`deal.explain.${action.id}`)}</p>
			<Problem problem={problem} fields={shown} />
			{action.fields.includes('reason') ? (
				<Field label={t('deal.reason')} name="reason" error={errors.reason} required>
					{(p) => (
						<select {...p} value={values.reason} onChange={set('reason')}>
							<option value="">{t('deal.choose_reason')}</option>
							{ENUMS.reason.map((r) => <option key={r} value={r}>{label('reason', r)}</option>)}
						</select>
					)}
				</Field>
			) : null}
			{action.fields.includes('reason_text') ? (
				<Field label={t('deal.cancel_reason')} name="reason_text" error={errors.reason} hint={t('deal.cancel_reason_hint')}>
					{(p) => <input {...p} maxLength={2000} value={values.reason_text} onInput={set('reason_text')} />}
				</Field>
			) : null}
			{action.fields.includes('contract_ref') ? (
				<Field label={t('deal.contract_ref')} name="contract_ref" error={errors.contract_ref} hint={t('deal.contract_ref_hint')} required>
					{(p) => <input {...p} maxLength={100} value={values.contract_ref} onInput={set('contract_ref')} />}
				</Field>
			) : null}
			{action.fields.includes('value_vnd') ? (
				<Field
					label={t('deal.value_vnd')}
					name="value_vnd"
					error={errors.value_vnd}
					hint={preview !== null && !Number.isNaN(preview) ? `${t('deal.value_reads')} ${money(preview)}` : t('deal.value_hint')}
					required
				>
					{(p) => <input {...p} inputMode="numeric" autocomplete="off" value={values.value_vnd} onInput={set('value_vnd')} />}
				</Field>
			) : null}
			<Field label={t('deal.note')} name="note" error={errors.note}>
				{(p) => <textarea {...p} maxLength={2000} value={values.note} onInput={set('note')} />}
			</Field>
			<div class="actions">
				<button type="submit" class={action.to === 'cancelled' || action.id === 'decline' || action.id === 'withdraw' ? 'danger' : 'primary'} disabled={busy}>
					{t(`deal.submit.${action.id}`)}
				</button>
				<button type="button" class="secondary" onClick={onClose}>{t('deal.close_form')}</button>
			</div>
		</form>
	);
}

// The buttons of the allowed actions; one with fields opens its form.
// `onDone(res)` gets every answer but a 422 shown in the form.
export function DealActions({ deal, admin, onDone }) {
	const [open, setOpen] = useState(null);
	const [busy, setBusy] = useState(false);
	const actions = allowedActions(deal, admin);
	const finish = (action, res) => {
		setOpen(null);
		onDone(action, res);
	};
	const direct = async (action) => {
		setBusy(true);
		const res = await send(deal, action, { to: action.to });
		setBusy(false);
		finish(action, res);
	};
	if (!actions.length) return <p class="meta">{t('deal.no_actions')}</p>;
	const current = actions.find((a) => a.id === open);
	return (
		<>
			<div class="actions">
				{actions.map((a) => (a.fields.length ? (
					<button
						key={a.id}
						type="button"
						class={open === a.id ? 'primary' : 'secondary'}
						aria-expanded={open === a.id ? 'true' : 'false'}
						aria-controls="deal-action-form"
						onClick={() => setOpen(open === a.id ? null : a.id)}
					>
						{t(`deal.act.${a.id}`)}
					</button>
				) : (
					<button key={a.id} type="button" class="primary" disabled={busy} onClick={() => direct(a)}>{t(`deal.act.${a.id}`)}</button>
				)))}
			</div>
			<div id="deal-action-form">
				{current ? <ActionForm key={current.id} deal={deal} action={current} onClose={() => setOpen(null)} onResult={finish} /> : null}
			</div>
		</>
	);
}
