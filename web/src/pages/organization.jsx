// /organizations/:id: an organisation's profile (kind, province, whether
// the Department verified it, contacts, how fast it answers interests) and
// its published listings.  Its owner (and an administrator) can edit the
// profile here: PATCH with If-Match, sending only what changed.
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Field, Loading, MoreButton, PageTitle, Problem, fieldErrors, useApi, usePagedList, useProvinces, useRefName, useNames } from '../components.jsx';
import { date, priceRange } from '../format.js';
import { ENUMS, label, t } from '../i18n/index.js';
import { Link } from '../router.js';
import { isAdmin, session, signIn } from '../session.js';
import { useSignal } from '../signal.js';
import { responseTimeText } from './deals_shared.jsx';
import '../styles/deals.css';
import '../i18n/deals.js';

const FIELDS = ['name', 'kind', 'tax_code', 'province', 'address', 'website', 'description'];
const OPTIONAL = ['tax_code', 'address', 'website', 'description'];
// Changing these sends the organisation back to the Department for verification.
const VERIFIED_FIELDS = ['name', 'kind', 'tax_code', 'province'];

// Only an http(s) address becomes a link (the API refuses others, but an
// old record is shown safely all the same).
const safeUrl = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);

function Profile({ org, provinceName }) {
	const rt = org.response_time;
	const site = safeUrl(org.website);
	return (
		<dl class="facts">
			<dt>{t('org.kind')}</dt>
			<dd>{label('org_kind', org.kind)}</dd>
			<dt>{t('org.province')}</dt>
			<dd>{provinceName(org.province)}</dd>
			<dt>{t('org.verification')}</dt>
			<dd data-testid="org-verified">
				{org.verified ? (
					<span class="verified-mark">✓ {t('org.verified_on', { at: date(org.verified_at) })}</span>
				) : (
					<span class="unverified">{t('org.unverified')}</span>
				)}
			</dd>
			{org.tax_code ? (
				<>
					<dt>{t('org.tax_code')}</dt>
					<dd>{org.tax_code}</dd>
				</>
			) : null}
			{org.address ? (
				<>
					<dt>{t('org.address')}</dt>
					<dd>{org.address}</dd>
				</>
			) : null}
			{org.website ? (
				<>
					<dt>{t('org.website')}</dt>
					<dd>{site ? <a href={site} rel="noopener noreferrer external">{org.website}</a> : org.website}</dd>
				</>
			) : null}
			<dt>{t('org.response_time')}</dt>
			<dd>
				{responseTimeText(rt?.median_first_response_hours)}
				{rt && rt.answered > 0 ? <span class="meta"> {t('org.response_based', { n: rt.answered })}</span> : null}
			</dd>
			<dt>{t('org.member_since')}</dt>
			<dd>{date(org.created_at)}</dd>
		</dl>
	);
}

function EditForm({ org, owner, onSaved, onStale }) {
	const provinces = useProvinces();
	const refName = useRefName();
	const initial = Object.fromEntries(FIELDS.map((k) => [k, org[k] ?? '']));
	const [values, setValues] = useState(initial);
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const errors = fieldErrors(problem);
	const set = (k) => (e) => setValues({ ...values, [k]: e.currentTarget.value });
	const changed = FIELDS.filter((k) => values[k].trim() !== String(initial[k]).trim());
	const losesVerification = owner && org.verified && changed.some((k) => VERIFIED_FIELDS.includes(k));
	const submit = async (e) => {
		e.preventDefault();
		const body = {};
		for (const k of changed) {
			const v = values[k].trim();
			body[k] = v === '' && OPTIONAL.includes(k) ? null : v;
		}
		setBusy(true);
		setProblem(null);
		const res = await api('PATCH', `/organizations/${org.id}`, { body, ifMatch: org.version });
		setBusy(false);
		if (res.ok) onSaved(res.data);
		else if (res.status === 412 || res.status === 409) onStale(res.problem);
		else setProblem(res.problem);
	};
	const input = (k, p, extra = {}) => <input {...p} {...extra} value={values[k]} onInput={set(k)} />;
	return (
		<form onSubmit={submit} noValidate class="panel" aria-labelledby="edit-title">
			<h2 id="edit-title">{t('org.edit_title')}</h2>
			{owner ? <p class="hint">{t('org.edit_verify_note')}</p> : null}
			<Problem problem={problem} fields={FIELDS} />
			<Field label={t('org.name')} name="name" error={errors.name} required>{(p) => input('name', p, { maxLength: 300 })}</Field>
			<Field label={t('org.kind')} name="kind" error={errors.kind} required>
				{(p) => (
					<select {...p} value={values.kind} onChange={set('kind')}>
						{ENUMS.org_kind.map((k) => <option key={k} value={k}>{label('org_kind', k)}</option>)}
					</select>
				)}
			</Field>
			<Field label={t('org.tax_code')} name="tax_code" error={errors.tax_code} hint={t('org.tax_code_hint')}>
				{(p) => input('tax_code', p, { inputMode: 'numeric', maxLength: 14 })}
			</Field>
			<Field label={t('org.province')} name="province" error={errors.province} required>
				{(p) => (
					<select {...p} value={values.province} onChange={set('province')}>
						{provinces.some((x) => x.slug === values.province) ? null : <option value={values.province}>{values.province}</option>}
						{provinces.map((x) => <option key={x.slug} value={x.slug}>{refName(x)}</option>)}
					</select>
				)}
			</Field>
			<Field label={t('org.address')} name="address" error={errors.address}>{(p) => input('address', p, { maxLength: 500, autocomplete: 'street-address' })}</Field>
			<Field label={t('org.website')} name="website" error={errors.website}>{(p) => input('website', p, { type: 'url', maxLength: 300, placeholder: 'https://' })}</Field>
			<Field label={t('org.description')} name="description" error={errors.description}>
				{(p) => <textarea {...p} maxLength={5000} value={values.description} onInput={set('description')} />}
			</Field>
			{losesVerification ? <p class="alert alert-info" role="status">{t('org.will_unverify')}</p> : null}
			<div class="actions">
				<button type="submit" class="primary" disabled={busy || changed.length === 0}>{t('org.save')}</button>
			</div>
		</form>
	);
}

function Listings({ orgId }) {
	const list = usePagedList(`/listings${query({ organization: orgId, limit: 20 })}`);
	return (
		<section aria-labelledby="listings-title">
			<h2 id="listings-title">{t('org.listings')}</h2>
			<Problem problem={list.problem} />
			{!list.loading && !list.problem && list.items.length === 0 ? <p class="empty">{t('org.no_listings')}</p> : null}
			<ul class="plain-list">
				{list.items.map((l) => (
					<li key={l.id}>
						<Link href={`/listings/${l.id}`}>{l.title}</Link>
						<span class="meta"> · {label('kind', l.kind)} · {l.ref} · {priceRange(l.price_min_vnd, l.price_max_vnd)}</span>
					</li>
				))}
			</ul>
			<MoreButton list={list} />
		</section>
	);
}

export default function OrganizationPage({ id }) {
	const s = useSignal(session);
	const { loading, res, reload } = useApi(`/organizations/${encodeURIComponent(id)}`);
	const [saved, setSaved] = useState(null);
	const [editing, setEditing] = useState(false);
	const [notice, setNotice] = useState(null);
	const provinceName = useNames().province;
	const fetched = res?.ok ? res.data : null;
	// The latest copy: what the edit returned, unless GET has a newer one.
	const org = saved && (!fetched || saved.version >= fetched.version) ? { ...fetched, ...saved } : fetched;
	if (!org) {
		if (loading || !res) return <Loading />;
		return (
			<>
				<PageTitle>{res.status === 404 ? t('org.not_found') : t('common.error')}</PageTitle>
				<Problem problem={res.problem} />
			</>
		);
	}
	const owner = !!(s.user?.is_owner && s.user.organization_id === org.id);
	const canEdit = owner || isAdmin();
	const onSaved = (data) => {
		setSaved(data);
		setEditing(false);
		setNotice({ ok: true, text: owner && org.verified && !data.verified ? t('org.saved_unverified') : t('org.saved') });
		if (owner) signIn(s.token, { user: s.user, organization: data });
	};
	const onStale = (problem) => {
		setSaved(null);
		setEditing(false);
		setNotice({ ok: false, problem });
		reload();
	};
	return (
		<>
			<PageTitle>{org.name}</PageTitle>
			{notice?.ok ? <div class="alert alert-ok" role="status">{notice.text}</div> : null}
			{notice && !notice.ok ? (
				<>
					<Problem problem={notice.problem} />
					<p class="alert alert-info" role="status">{t('org.reloaded')}</p>
				</>
			) : null}
			{!org.verified && owner ? <p class="alert alert-info">{t('org.awaiting')}</p> : null}
			<Profile org={org} provinceName={provinceName} />
			{org.description ? (
				<section aria-labelledby="about-title">
					<h2 id="about-title">{t('org.about')}</h2>
					<p class="pre">{org.description}</p>
				</section>
			) : null}
			{canEdit ? (
				editing ? (
					<EditForm key={org.version} org={org} owner={owner} onSaved={onSaved} onStale={onStale} />
				) : (
					<div class="actions">
						<button type="button" class="secondary" onClick={() => { setNotice(null); setEditing(true); }}>{t('org.edit')}</button>
					</div>
				)
			) : null}
			<Listings orgId={org.id} />
		</>
	);
}
