// The home page is the exchange's search: the URL's query holds the filters
// under exactly the names of GET /api/v1/listings, so a saved search (or any
// shared link such as /?q=cong+nghe+say&kind=technology_demand) opens the
// same results.  Without filters it shows the newest published listings.
import { useState } from 'preact/hooks';
import { post, query } from '../api.js';
import { location, navigate, Link } from '../router.js';
import { session } from '../session.js';
import { useSignal } from '../signal.js';
import { t, label, ENUMS } from '../i18n/index.js';
import { Field, Problem, PageTitle, MoreButton, usePagedList, fieldErrors, useRefName, useNames } from '../components.jsx';
import { money } from '../format.js';
import { ListingCard, SectorOptions, useIdempotencyKey } from './listings_shared.jsx';
import '../i18n/listings.js';

// The search parameters this page understands, in the API's names.
// `indicator` and `organization` have no control here but are kept from the URL
// (the dashboard and the organisation pages link to such searches).
const FILTERS = ['q', 'kind', 'sector', 'province', 'trl_min', 'trl_max', 'ip_status', 'transfer_mode', 'price_max_vnd', 'sort', 'indicator', 'organization'];
const TRLS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

function filtersFrom(search) {
	const params = new URLSearchParams(search);
	const out = {};
	for (const k of FILTERS) {
		const v = (params.get(k) || '').trim();
		if (v) out[k] = v;
	}
	return out;
}

// The filters as the API is asked them: relevance needs words to rank by,
// and a price typed with thousands separators is read as whole VND.
function cleaned(f) {
	const out = { ...f };
	if (out.sort === 'relevance' && !out.q) delete out.sort;
	if (out.price_max_vnd) out.price_max_vnd = out.price_max_vnd.replace(/[.,\s]/g, '');
	for (const k of Object.keys(out)) if (!out[k]) delete out[k];
	return out;
}

export default function HomePage() {
	const loc = useSignal(location);
	const s = useSignal(session);
	const applied = filtersFrom(loc.search);
	const searching = Object.keys(applied).some((k) => k !== 'sort');
	const list = usePagedList(`/listings${query(applied)}`);
	const member = !!s.token && s.user?.role !== 'admin';
	return (
		<div class="home">
			<PageTitle text={t('listings.home_title')}>{t('listings.home_title')}</PageTitle>
			{searching ? null : <p class="intro">{t('listings.intro')}</p>}
			<SearchForm key={loc.search} applied={applied} />
			{member && searching ? <SaveSearch key={loc.search} filters={applied} /> : null}
			<section aria-labelledby="results-h">
				<h2 id="results-h">{searching ? t('listings.results') : t('listings.newest')}</h2>
				<Problem problem={list.problem} />
				{!list.loading && !list.problem && list.items.length === 0 ? (
					<p role="status">{searching ? t('listings.no_results') : t('common.empty')}</p>
				) : null}
				<ul class="cards">
					{list.items.map((l) => <ListingCard key={l.id} listing={l} />)}
				</ul>
				<div class="more"><MoreButton list={list} /></div>
			</section>
		</div>
	);
}

function SearchForm({ applied }) {
	const names = useNames();
	const refName = useRefName();
	const [f, setF] = useState(applied);
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
	const advanced = Object.keys(applied).some((k) => k !== 'q');
	const submit = (e) => {
		e.preventDefault();
		navigate(`/${query(cleaned(f))}`);
	};
	const select = (k, labelKey, options) => (
		<Field label={t(labelKey)} name={k}>
			{(p) => (
				<select {...p} value={f[k] || ''} onChange={set(k)}>
					<option value="">{t('common.all')}</option>
					{options}
				</select>
			)}
		</Field>
	);
	const enumOptions = (group) => ENUMS[group].map((v) => <option key={v} value={v}>{label(group, v)}</option>);
	const trlOptions = TRLS.map((n) => <option key={n} value={n}>{n}</option>);
	const priceHint = /^\d[\d.,\s]*$/.test(f.price_max_vnd || '') ? money(Number(f.price_max_vnd.replace(/[.,\s]/g, ''))) : t('listings.price_hint');
	return (
		<form class="search-form" role="search" onSubmit={submit} aria-label={t('listings.search_label')}>
			<div class="search-box">
				<Field label={t('listings.q')} name="q" hint={t('listings.q_hint')}>
					{(p) => <input {...p} type="search" maxLength={200} value={f.q || ''} onInput={set('q')} />}
				</Field>
				<button type="submit" class="primary">{t('common.search')}</button>
			</div>
			<details class="filters" open={advanced}>
				<summary>{t('listings.filters')}</summary>
				<div class="filter-grid">
					{select('kind', 'listings.kind', enumOptions('kind'))}
					<Field label={t('listings.sector')} name="sector">
						{(p) => (
							<select {...p} value={f.sector || ''} onChange={set('sector')}>
								<option value="">{t('common.all')}</option>
								<SectorOptions sectors={names.sectors} fieldLabel />
							</select>
						)}
					</Field>
					{select('province', 'listings.province', names.provinces.map((pr) => <option key={pr.slug} value={pr.slug}>{refName(pr)}</option>))}
					{select('trl_min', 'listings.trl_min', trlOptions)}
					{select('trl_max', 'listings.trl_max', trlOptions)}
					{select('ip_status', 'listings.ip_status', enumOptions('ip_status'))}
					{select('transfer_mode', 'listings.transfer_mode', enumOptions('transfer_mode'))}
					<Field label={t('listings.price_max_filter')} name="price_max_vnd" hint={priceHint}>
						{(p) => <input {...p} type="text" inputMode="numeric" value={f.price_max_vnd || ''} onInput={set('price_max_vnd')} />}
					</Field>
					<Field label={t('listings.sort')} name="sort">
						{(p) => (
							<select {...p} value={f.sort || ''} onChange={set('sort')}>
								<option value="">{t('listings.sort_default')}</option>
								<option value="newest">{t('listings.sort_newest')}</option>
								<option value="relevance" disabled={!f.q}>{t('listings.sort_relevance')}</option>
								<option value="price">{t('listings.sort_price')}</option>
							</select>
						)}
					</Field>
				</div>
				<div class="actions">
					<button type="submit" class="primary">{t('listings.apply')}</button>
					{Object.keys(applied).length ? <Link href="/" class="button secondary">{t('listings.clear')}</Link> : null}
				</div>
			</details>
		</form>
	);
}

// "Save this search": the current filters under a name; new listings that
// meet them notify the member.  One Idempotency-Key per form shown.
function SaveSearch({ filters }) {
	const [name, setName] = useState('');
	const keyFor = useIdempotencyKey();
	const [state, setState] = useState({ busy: false, problem: null, saved: null });
	const errors = fieldErrors(state.problem);
	const submit = async (e) => {
		e.preventDefault();
		setState({ busy: true, problem: null, saved: null });
		const body = { name: name.trim(), filters: cleaned(filters) };
		const res = await post('/saved-searches', body, { idempotencyKey: keyFor(body) });
		if (res.ok) {
			setState({ busy: false, problem: null, saved: res.data.name });
			setName('');
		} else setState({ busy: false, problem: res.problem, saved: null });
	};
	return (
		<section class="panel save-search" aria-labelledby="save-h">
			<h2 id="save-h">{t('listings.save_title')}</h2>
			<p class="hint">{t('listings.save_hint')}</p>
			<form onSubmit={submit} noValidate>
				<Field label={t('listings.save_name')} name="name" error={errors.name} required>
					{(p) => <input {...p} type="text" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
				</Field>
				<Problem problem={state.problem} fields={['name']} />
				<button type="submit" class="primary" disabled={state.busy}>{t('listings.save_button')}</button>
			</form>
			{state.saved ? (
				<p class="alert alert-ok" role="status">
					{t('listings.saved_ok', { name: state.saved })} <Link href="/saved-searches">{t('listings.saved_link')}</Link>
				</p>
			) : null}
		</section>
	);
}
