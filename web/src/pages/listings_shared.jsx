// What the listings pages (home, detail, form, my listings) share: the link
// to a listing, the names of its sector, province and organisation, the
// sector <select> grouped by field, the plan's indicators fetched once, the
// card a search result is shown as, and the error of a field the API named
// with a nested path ("equipment.year").
import { useState } from 'preact/hooks';
import { newKey } from '../api.js';
import { Link } from '../router.js';
import { lang, t, label } from '../i18n/index.js';
import { useSignal } from '../signal.js';
import { Problem, useNames, useReference, useRefName } from '../components.jsx';
import { date, priceRange } from '../format.js';
import '../styles/listings.css';
import '../i18n/listings.js';

// A listing's address: its ref reads better than its uuid and works as well.
export const listingHref = (l) => `/listings/${encodeURIComponent(l.ref || l.id)}`;

// A listing's price range, kept from breaking between a number and its ₫.
export const price = (l) => priceRange(l.price_min_vnd, l.price_max_vnd).replace(/ ₫/g, '\u00a0₫');

// The sector options: each field as an <optgroup> whose first option is the
// whole field (it includes its subfields in a search), then its subfields.
export function SectorOptions({ sectors, fieldLabel }) {
	const name = useRefName();
	const fields = sectors.filter((s) => s.parent === null);
	return fields.map((f) => (
		<optgroup key={f.code} label={`${f.code}. ${name(f)}`}>
			<option value={f.code}>{fieldLabel ? t('listings.sector_whole', { name: name(f) }) : `${f.code}. ${name(f)}`}</option>
			{sectors.filter((s) => s.parent === f.code).map((s) => (
				<option key={s.code} value={s.code}>{`${s.code} ${name(s)}`}</option>
			))}
		</optgroup>
	));
}

// The plan's indicators (code and title), fetched once per page load.
export const useIndicators = () => useReference('/indicators');

export function useIndicatorTitle() {
	const language = useSignal(lang);
	return (ind) => (language === 'en' ? ind.title_en : ind.title_vi);
}

// The organisation as the caller may see it: its name (linked when asked),
// or, for an anonymous listing, only its kind and province.
export function OrgName({ org, link = false }) {
	const names = useNames();
	if (!org) return '—';
	if (!org.name) {
		return t('listings.anonymous_org', { kind: label('org_kind', org.kind), province: names.province(org.province) });
	}
	const verified = org.verified ? <span class="verified"> ({t('listings.verified')})</span> : null;
	if (link && org.id) return <><Link href={`/organizations/${org.id}`}>{org.name}</Link>{verified}</>;
	return <>{org.name}{verified}</>;
}

// One search result.
export function ListingCard({ listing: l }) {
	const names = useNames();
	return (
		<li class="card listing-card" data-testid="listing-card">
			<p class="card-kind">
				<span class={`kind kind-${l.kind}`}>{label('kind', l.kind)}</span>
				<span class="ref">{l.ref}</span>
			</p>
			<h3><Link href={listingHref(l)}>{l.title}</Link></h3>
			{l.summary ? <p class="card-summary">{l.summary}</p> : null}
			<dl class="card-facts">
				<div><dt>{t('listings.sector')}</dt><dd>{names.sector(l.sector)}</dd></div>
				<div><dt>{t('listings.province')}</dt><dd>{names.province(l.province)}</dd></div>
				{l.trl ? <div><dt>{t('listings.trl_short')}</dt><dd>{l.trl}</dd></div> : null}
				<div><dt>{t('listings.price')}</dt><dd>{price(l)}</dd></div>
				<div><dt>{t('listings.organization')}</dt><dd><OrgName org={l.organization} /></dd></div>
				<div><dt>{t('listings.published_at')}</dt><dd>{date(l.published_at)}</dd></div>
			</dl>
		</li>
	);
}

// The API's message for a field, or for a member of it ("equipment.year",
// "keywords[2]") when the field itself has none.
export function errorFor(errors, name) {
	if (errors[name]) return errors[name];
	const key = Object.keys(errors).find((f) => f.startsWith(`${name}.`) || f.startsWith(`${name}[`));
	return key ? errors[key] : undefined;
}

// The Idempotency-Key of a create form: the same key while the body is the
// same (a double click or a retry replays the first answer), a new one once
// the member changed what they send (the API refuses a key reused with
// another body).
export function useIdempotencyKey() {
	const [memo] = useState(() => ({ body: null, key: null }));
	return (body) => {
		const text = JSON.stringify(body);
		if (text !== memo.body) {
			memo.body = text;
			memo.key = newKey();
		}
		return memo.key;
	};
}

// A refused write: a stale If-Match (412) is explained in the reader's
// language with a way to fetch the listing again; anything else as the API
// words it.
export function WriteProblem({ problem, fields }) {
	if (problem?.status === 412) {
		return (
			<div class="alert alert-error" role="alert">
				<p>{t('listings.stale')}</p>
				<button type="button" class="secondary" onClick={() => window.location.reload()}>{t('listings.reload')}</button>
			</div>
		);
	}
	return <Problem problem={problem} fields={fields} />;
}
