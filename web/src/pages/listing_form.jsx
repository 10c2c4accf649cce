// Posting a listing (/listings/new) and editing one (/listings/:id/edit):
// every field of ListingInput / ListingPatch, the ones that only make sense
// for one kind shown for that kind (TRL for technology, the equipment's
// details for equipment).  A create is a POST with an Idempotency-Key that
// makes a draft, then optionally submits it for review; an edit is a PATCH
// with If-Match (a published listing goes back to review).  Each message of
// a 422 is shown beside the field it names, nested equipment fields too.
import { useState } from 'preact/hooks';
import { api, post } from '../api.js';
import { Link, navigate } from '../router.js';
import { session } from '../session.js';
import { useSignal } from '../signal.js';
import { t, label, ENUMS } from '../i18n/index.js';
import { Field, Loading, PageTitle, Problem, fieldErrors, useApi, useRefName, useNames } from '../components.jsx';
import { money } from '../format.js';
import { EDITABLE } from './listings_actions.jsx';
import { SectorOptions, WriteProblem, errorFor, listingHref, useIdempotencyKey, useIndicators, useIndicatorTitle } from './listings_shared.jsx';
import '../i18n/listings.js';

const TECH_ONLY_EXCLUDED = ['sale', 'lease'];
const FIELDS = ['kind', 'title', 'summary', 'description', 'sector', 'keywords', 'trl', 'ip_status', 'transfer_modes',
	'price_min_vnd', 'price_max_vnd', 'province', 'expires_at', 'indicators', 'st_task', 'equipment', 'confidential', 'anonymous'];
const isEquipment = (kind) => kind.startsWith('equipment');

// A calendar day (YYYY-MM-DD) in Vietnam's time, for <input type="date">.
const vnDay = (iso) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(iso));
// The end of that day in Vietnam, as the API's RFC 3339 UTC time.
const endOfVnDay = (day) => new Date(`${day}T23:59:59+07:00`).toISOString().replace(/\.\d{3}Z$/, 'Z');

function blank(org) {
	return {
		kind: org?.kind === 'enterprise' ? 'technology_demand' : 'technology_offer',
		title: '', summary: '', description: '', sector: '', keywords: '', trl: '', ip_status: '',
		transfer_modes: [], price_min_vnd: '', price_max_vnd: '', province: org?.province || '',
		expires_at: '', indicators: [], st_task: '', confidential: '', anonymous: false,
		equipment: { condition: 'new', manufacturer: '', model: '', year: '', quantity: '' },
	};
}

function fromListing(l) {
	const e = l.equipment || {};
	const text = (v) => (v === null || v === undefined ? '' : String(v));
	return {
		kind: l.kind, title: l.title, summary: text(l.summary), description: text(l.description), sector: l.sector,
		keywords: l.keywords.join(', '), trl: text(l.trl), ip_status: text(l.ip_status), transfer_modes: l.transfer_modes,
		price_min_vnd: text(l.price_min_vnd), price_max_vnd: text(l.price_max_vnd), province: l.province,
		expires_at: l.expires_at ? vnDay(l.expires_at) : '', indicators: l.indicators, st_task: text(l.st_task),
		confidential: text(l.confidential), anonymous: l.anonymous,
		equipment: { condition: e.condition || 'new', manufacturer: text(e.manufacturer), model: text(e.model), year: text(e.year), quantity: text(e.quantity) },
	};
}

const str = (v) => v.trim() || null;
// Whole numbers may be typed with thousands separators; anything else is
// sent as typed, for the API to name what is wrong with it.
function int(v) {
	const d = v.replace(/[.,\s]/g, '');
	if (!d) return null;
	return /^\d+$/.test(d) ? Number(d) : v;
}
const list = (a) => (a.length ? a : null);

// The form's state as the API's body: the fields that belong to the kind,
// `null` for empty ones (a create leaves those out, a patch removes them).
function toBody(f, creating) {
	const equipment = isEquipment(f.kind);
	const keywords = [...new Set(f.keywords.split(',').map((k) => k.trim()).filter(Boolean))];
	const body = {
		title: f.title.trim(), summary: str(f.summary), description: str(f.description), sector: f.sector,
		keywords: list(keywords), trl: equipment ? null : int(f.trl), ip_status: f.ip_status || null,
		transfer_modes: list(equipment ? f.transfer_modes : f.transfer_modes.filter((m) => !TECH_ONLY_EXCLUDED.includes(m))),
		price_min_vnd: int(f.price_min_vnd), price_max_vnd: int(f.price_max_vnd), province: f.province,
		expires_at: f.expires_at ? endOfVnDay(f.expires_at) : null, indicators: list(f.indicators), st_task: str(f.st_task),
		equipment: equipment ? {
			condition: f.equipment.condition, manufacturer: str(f.equipment.manufacturer), model: str(f.equipment.model),
			year: int(f.equipment.year), quantity: int(f.equipment.quantity),
		} : null,
		confidential: str(f.confidential), anonymous: f.anonymous,
	};
	if (!creating) return body;
	const out = { kind: f.kind };
	for (const [k, v] of Object.entries(body)) if (v !== null) out[k] = v;
	return out;
}

export default function ListingFormPage({ id }) {
	const s = useSignal(session);
	const { loading, res } = useApi(id ? `/listings/${encodeURIComponent(id)}` : null);
	if (s.user?.role === 'admin' || !s.organization) {
		return <><PageTitle>{t('listings.form_new')}</PageTitle><p class="alert alert-info">{t('listings.form_admin')}</p></>;
	}
	if (!id) return <ListingForm key="new" initial={blank(s.organization)} />;
	if (loading && !res) return <Loading />;
	if (!res?.ok) return <><PageTitle>{t('listings.not_found')}</PageTitle><Problem problem={res?.problem} /></>;
	const l = res.data;
	if (l.organization?.id !== s.organization.id) {
		return <><PageTitle>{t('common.forbidden')}</PageTitle><p><Link href={listingHref(l)}>{l.title}</Link></p></>;
	}
	if (!EDITABLE.includes(l.status)) {
		return (
			<>
				<PageTitle>{t('listings.form_edit')}</PageTitle>
				<p class="alert alert-info">{t('listings.form_locked', { status: label('status', l.status) })}</p>
				<p><Link href={listingHref(l)}>{l.title}</Link></p>
			</>
		);
	}
	return <ListingForm key={l.id} listing={l} initial={fromListing(l)} />;
}

function ListingForm({ listing, initial }) {
	const creating = !listing;
	const [f, setF] = useState(initial);
	const [state, setState] = useState({ busy: null, problem: null });
	const keyFor = useIdempotencyKey();
	const names = useNames();
	const refName = useRefName();
	const errors = fieldErrors(state.problem);
	const err = (name) => errorFor(errors, name);
	const shown = Object.keys(errors).filter((k) => FIELDS.some((n) => k === n || k.startsWith(`${n}.`) || k.startsWith(`${n}[`)));
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
	const setEq = (k) => (e) => setF({ ...f, equipment: { ...f.equipment, [k]: e.currentTarget.value } });
	const toggle = (k, v) => (e) => setF({ ...f, [k]: e.currentTarget.checked ? [...f[k], v] : f[k].filter((x) => x !== v) });
	const equipment = isEquipment(f.kind);
	const canSubmit = creating || ['draft', 'rejected'].includes(listing.status);

	const save = async (submit) => {
		setState({ busy: submit ? 'submit' : 'save', problem: null });
		const body = toBody(f, creating);
		const res = creating
			? await post('/listings', body, { idempotencyKey: keyFor(body) })
			: await api('PATCH', `/listings/${listing.id}`, { body, ifMatch: listing.version });
		if (!res.ok) {
			setState({ busy: null, problem: res.problem });
			window.scrollTo(0, 0);
			return;
		}
		if (submit) {
			const sub = await post(`/listings/${res.data.id}/submit`, undefined, { ifMatch: res.data.version });
			if (!sub.ok) {
				// The listing is saved; its page offers the submit again.
				navigate(`${listingHref(res.data)}?submit_failed=1`);
				return;
			}
		}
		navigate(listingHref(res.data));
	};
	const onSubmit = (e) => {
		e.preventDefault();
		save(e.submitter?.value === 'submit');
	};

	const title = creating ? t('listings.form_new') : t('listings.form_edit');
	const priceHint = (v) => (/^\d+$/.test(v.replace(/[.,\s]/g, '')) ? money(Number(v.replace(/[.,\s]/g, ''))) : t('listings.price_form_hint'));
	const today = vnDay(new Date().toISOString());
	const maxDay = vnDay(new Date(Date.now() + 3 * 365 * 86400000).toISOString());
	return (
		<div class="listing-form">
			<PageTitle text={title}>{title}</PageTitle>
			{listing ? <p><Link href={listingHref(listing)}>{listing.ref}: {listing.title}</Link></p> : null}
			{!creating && listing.status === 'published' ? <p class="alert alert-info" role="note">{t('listings.form_republish')}</p> : null}
			{creating ? <p class="hint">{t('listings.form_intro')}</p> : null}
			<WriteProblem problem={state.problem} fields={shown} />
			<form onSubmit={onSubmit} noValidate>
				<section aria-labelledby="sec-main">
					<h2 id="sec-main">{t('listings.form_main')}</h2>
					{creating ? (
						<Field label={t('listings.kind')} name="kind" error={err('kind')} required>
							{(p) => (
								<select {...p} value={f.kind} onChange={set('kind')}>
									{ENUMS.kind.map((k) => <option key={k} value={k}>{label('kind', k)}</option>)}
								</select>
							)}
						</Field>
					) : <p><strong>{t('listings.kind')}:</strong> {label('kind', f.kind)}</p>}
					<Field label={t('listings.title')} name="title" error={err('title')} hint={t('listings.title_hint')} required>
						{(p) => <input {...p} type="text" maxLength={200} value={f.title} onInput={set('title')} />}
					</Field>
					<Field label={t('listings.summary')} name="summary" error={err('summary')} hint={t('listings.summary_hint')}>
						{(p) => <textarea {...p} rows={2} maxLength={500} value={f.summary} onInput={set('summary')} />}
					</Field>
					<Field label={t('listings.description')} name="description" error={err('description')}>
						{(p) => <textarea {...p} rows={8} maxLength={20000} value={f.description} onInput={set('description')} />}
					</Field>
					<Field label={t('listings.sector')} name="sector" error={err('sector')} required>
						{(p) => (
							<select {...p} value={f.sector} onChange={set('sector')}>
								<option value="">{t('listings.choose')}</option>
								<SectorOptions sectors={names.sectors} />
							</select>
						)}
					</Field>
					<Field label={t('listings.keywords')} name="keywords" error={err('keywords')} hint={t('listings.keywords_hint')}>
						{(p) => <input {...p} type="text" value={f.keywords} onInput={set('keywords')} />}
					</Field>
					<Field label={t('listings.province')} name="province" error={err('province')} required>
						{(p) => (
							<select {...p} value={f.province} onChange={set('province')}>
								<option value="">{t('listings.choose')}</option>
								{names.provinces.map((pr) => <option key={pr.slug} value={pr.slug}>{refName(pr)}</option>)}
							</select>
						)}
					</Field>
				</section>

				<section aria-labelledby="sec-tech">
					<h2 id="sec-tech">{t(equipment ? 'listings.form_equipment' : 'listings.form_technology')}</h2>
					{equipment ? <EquipmentFields eq={f.equipment} setEq={setEq} err={err} whole={errors.equipment} /> : (
						<Field label={t('listings.trl')} name="trl" error={err('trl')} required={f.kind === 'technology_offer'}
							hint={t(f.kind === 'technology_offer' ? 'listings.trl_hint_offer' : 'listings.trl_hint_demand')}>
							{(p) => (
								<select {...p} value={f.trl} onChange={set('trl')}>
									<option value="">{t('listings.trl_none')}</option>
									{[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => <option key={n} value={n}>{t(`listings.trl_${n}`)}</option>)}
								</select>
							)}
						</Field>
					)}
					<Field label={t('listings.ip_status')} name="ip_status" error={err('ip_status')}>
						{(p) => (
							<select {...p} value={f.ip_status} onChange={set('ip_status')}>
								<option value="">{t('listings.not_stated')}</option>
								{ENUMS.ip_status.map((v) => <option key={v} value={v}>{label('ip_status', v)}</option>)}
							</select>
						)}
					</Field>
					<CheckGroup name="transfer_modes" legend={t('listings.transfer_modes')} error={err('transfer_modes')}
						options={ENUMS.transfer_mode.filter((m) => equipment || !TECH_ONLY_EXCLUDED.includes(m)).map((m) => [m, label('transfer_mode', m)])}
						values={f.transfer_modes} toggle={(v) => toggle('transfer_modes', v)} />
				</section>

				<section aria-labelledby="sec-price">
					<h2 id="sec-price">{t('listings.form_price')}</h2>
					<p class="hint">{t(f.kind.endsWith('demand') ? 'listings.price_demand_hint' : 'listings.price_offer_hint')}</p>
					<div class="two-col">
						<Field label={t('listings.price_min')} name="price_min_vnd" error={err('price_min_vnd')} hint={priceHint(f.price_min_vnd)}>
							{(p) => <input {...p} type="text" inputMode="numeric" value={f.price_min_vnd} onInput={set('price_min_vnd')} />}
						</Field>
						<Field label={t('listings.price_max')} name="price_max_vnd" error={err('price_max_vnd')} hint={priceHint(f.price_max_vnd)}>
							{(p) => <input {...p} type="text" inputMode="numeric" value={f.price_max_vnd} onInput={set('price_max_vnd')} />}
						</Field>
					</div>
					<Field label={t('listings.expires_at')} name="expires_at" error={err('expires_at')} hint={t('listings.expires_hint')}>
						{(p) => <input {...p} type="date" min={today} max={maxDay} value={f.expires_at} onInput={set('expires_at')} />}
					</Field>
				</section>

				<section aria-labelledby="sec-plan">
					<h2 id="sec-plan">{t('listings.form_plan')}</h2>
					<IndicatorChecks values={f.indicators} error={err('indicators')} toggle={(v) => toggle('indicators', v)} />
					<Field label={t('listings.st_task')} name="st_task" error={err('st_task')} hint={t('listings.st_task_hint')}>
						{(p) => <input {...p} type="text" maxLength={64} value={f.st_task} onInput={set('st_task')} />}
					</Field>
				</section>

				<section aria-labelledby="sec-private">
					<h2 id="sec-private">{t('listings.form_private')}</h2>
					<Field label={t('listings.confidential')} name="confidential" error={err('confidential')} hint={t('listings.confidential_hint')}>
						{(p) => <textarea {...p} rows={4} maxLength={20000} value={f.confidential} onInput={set('confidential')} />}
					</Field>
					<div class="check-field">
						<Field label={t('listings.anonymous_label')} name="anonymous" error={err('anonymous')} hint={t('listings.anonymous_hint')}>
							{(p) => <input {...p} type="checkbox" checked={f.anonymous} onChange={(e) => setF({ ...f, anonymous: e.currentTarget.checked })} />}
						</Field>
					</div>
				</section>

				<div class="actions form-actions">
					<button type="submit" name="action" value="save" class={canSubmit ? 'secondary' : 'primary'} disabled={!!state.busy}>
						{state.busy === 'save' ? t('listings.working') : t(creating ? 'listings.save_draft' : 'listings.save_changes')}
					</button>
					{canSubmit ? (
						<button type="submit" name="action" value="submit" class="primary" disabled={!!state.busy}>
							{state.busy === 'submit' ? t('listings.working') : t('listings.save_submit')}
						</button>
					) : null}
					<Link href={listing ? listingHref(listing) : '/my/listings'} class="button secondary">{t('common.cancel')}</Link>
				</div>
			</form>
		</div>
	);
}

// The one piece of equipment an equipment listing offers or wants.
// `whole` is the API's message about the equipment as a whole (it is
// required for the equipment kinds).
function EquipmentFields({ eq, setEq, err, whole }) {
	return (
		<fieldset class={`equipment-fields${whole ? ' field-invalid' : ''}`} aria-describedby={whole ? 'equipment-err' : undefined}>
			<legend>{t('listings.equipment')}</legend>
			{whole ? <p class="field-error" id="equipment-err">{whole}</p> : null}
			<div class="two-col">
				<Field label={t('listings.eq_condition')} name="equipment.condition" error={err('equipment.condition')} required>
					{(p) => (
						<select {...p} value={eq.condition} onChange={setEq('condition')}>
							{ENUMS.condition.map((c) => <option key={c} value={c}>{label('condition', c)}</option>)}
						</select>
					)}
				</Field>
				<Field label={t('listings.eq_quantity')} name="equipment.quantity" error={err('equipment.quantity')}>
					{(p) => <input {...p} type="text" inputMode="numeric" value={eq.quantity} onInput={setEq('quantity')} />}
				</Field>
				<Field label={t('listings.eq_manufacturer')} name="equipment.manufacturer" error={err('equipment.manufacturer')}>
					{(p) => <input {...p} type="text" maxLength={200} value={eq.manufacturer} onInput={setEq('manufacturer')} />}
				</Field>
				<Field label={t('listings.eq_model')} name="equipment.model" error={err('equipment.model')}>
					{(p) => <input {...p} type="text" maxLength={200} value={eq.model} onInput={setEq('model')} />}
				</Field>
				<Field label={t('listings.eq_year')} name="equipment.year" error={err('equipment.year')} hint={t('listings.eq_year_hint')}>
					{(p) => <input {...p} type="text" inputMode="numeric" maxLength={4} value={eq.year} onInput={setEq('year')} />}
				</Field>
			</div>
		</fieldset>
	);
}

// Checkboxes of one list-valued field, with the API's message for it.
function CheckGroup({ name, legend, error, options, values, toggle }) {
	const errId = `${name}-err`;
	return (
		<fieldset class={`checks${error ? ' field-invalid' : ''}`} aria-describedby={error ? errId : undefined}>
			<legend>{legend}</legend>
			{options.map(([value, text]) => (
				<label key={value}>
					<input type="checkbox" name={name} value={value} checked={values.includes(value)} onChange={toggle(value)} />
					{text}
				</label>
			))}
			{error ? <p class="field-error" id={errId}>{error}</p> : null}
		</fieldset>
	);
}

function IndicatorChecks({ values, error, toggle }) {
	const indicators = useIndicators();
	const title = useIndicatorTitle();
	return (
		<CheckGroup name="indicators" legend={t('listings.indicators')} error={error} values={values} toggle={toggle}
			options={indicators.map((i) => [i.code, `${i.code} — ${title(i)}`])} />
	);
}
