// /saved-searches: the member's saved searches, each with its filters in
// words, a link to its results on the home page (which reads GET
// /listings' own parameter names from its URL) and deletion after a
// confirmation.  Searches are mostly saved from the home page; a small
// form here saves one by name, words and kind.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newKey, post, query } from '../api.js';
import { Field, MoreButton, PageTitle, Problem, useForm, usePagedList, useRefName, useSectors, useNames } from '../components.jsx';
import { date, money } from '../format.js';
import { ENUMS, label, t } from '../i18n/index.js';
import { Link } from '../router.js';
import '../styles/deals.css';
import '../i18n/deals.js';

// The saved filters as [label, value-in-words] pairs, in a stable order.
function useFilterWords() {
	const sectors = useSectors();
	const refName = useRefName();
	const provinceName = useNames().province;
	return (f) => {
		const out = [];
		if (f.q) out.push([t('saved.f.q'), `“${f.q}”`]);
		if (f.kind) out.push([t('saved.f.kind'), label('kind', f.kind)]);
		if (f.sector) {
			const s = sectors.find((x) => x.code === f.sector);
			out.push([t('saved.f.sector'), s ? `${s.code} — ${refName(s)}` : f.sector]);
		}
		if (f.province) out.push([t('saved.f.province'), provinceName(f.province)]);
		if (f.trl_min && f.trl_max) out.push([t('saved.f.trl'), t('saved.trl_range', { min: f.trl_min, max: f.trl_max })]);
		else if (f.trl_min) out.push([t('saved.f.trl'), t('saved.trl_min', { n: f.trl_min })]);
		else if (f.trl_max) out.push([t('saved.f.trl'), t('saved.trl_max', { n: f.trl_max })]);
		if (f.ip_status) out.push([t('saved.f.ip_status'), label('ip_status', f.ip_status)]);
		if (f.transfer_mode) out.push([t('saved.f.transfer_mode'), label('transfer_mode', f.transfer_mode)]);
		if (f.price_max_vnd) out.push([t('saved.f.price_max'), money(Number(f.price_max_vnd))]);
		if (f.organization) out.push([t('saved.f.organization'), <Link href={`/organizations/${f.organization}`}>{t('saved.see_org')}</Link>]);
		if (f.indicator) out.push([t('saved.f.indicator'), f.indicator]);
		const known = ['q', 'kind', 'sector', 'province', 'trl_min', 'trl_max', 'ip_status', 'transfer_mode', 'price_max_vnd', 'organization', 'indicator'];
		for (const [k, v] of Object.entries(f)) if (!known.includes(k)) out.push([k, String(v)]);
		return out;
	};
}

function SavedItem({ s, words, onDeleted }) {
	const [confirming, setConfirming] = useState(false);
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const confirmRef = useRef(null);
	useEffect(() => {
		if (confirming) confirmRef.current?.focus();
	}, [confirming]);
	const remove = async () => {
		setBusy(true);
		const res = await api('DELETE', `/saved-searches/${s.id}`);
		setBusy(false);
		if (res.ok || res.status === 404) onDeleted(s);
		else setProblem(res.problem);
	};
	const pairs = words(s.filters || {});
	return (
		<li class="card saved" data-testid="saved-search">
			<h2 class="card-title">{s.name}</h2>
			<p class="meta">{t('saved.created', { at: date(s.created_at) })}</p>
			{pairs.length ? (
				<dl class="filter-words">
					{pairs.map(([k, v]) => (
						<div key={k}>
							<dt>{k}</dt>
							<dd>{v}</dd>
						</div>
					))}
				</dl>
			) : <p>{t('saved.everything')}</p>}
			<Problem problem={problem} />
			{confirming ? (
				<div class="confirm" role="group" aria-label={t('saved.confirm_label', { name: s.name })}>
					<p>{t('saved.confirm', { name: s.name })}</p>
					<div class="actions">
						<button type="button" class="danger" ref={confirmRef} disabled={busy} onClick={remove}>{t('saved.delete_yes')}</button>
						<button type="button" class="secondary" onClick={() => setConfirming(false)}>{t('saved.delete_no')}</button>
					</div>
				</div>
			) : (
				<div class="actions">
					<Link class="button" href={`/${query(s.filters)}`} aria-label={`${t('saved.results')}: ${s.name}`}>{t('saved.results')}</Link>
					<button type="button" class="secondary" aria-label={`${t('common.delete')}: ${s.name}`} onClick={() => setConfirming(true)}>
						{t('common.delete')}
					</button>
				</div>
			)}
		</li>
	);
}

const NO_SEARCH = { name: '', q: '', kind: '' };

function CreateForm({ onCreated }) {
	const [key, setKey] = useState(newKey);
	const { values, setValues, set, busy, problem, errors, submit } = useForm(NO_SEARCH, {
		send: (v) => {
			const filters = {};
			if (v.q.trim()) filters.q = v.q.trim();
			if (v.kind) filters.kind = v.kind;
			return post('/saved-searches', { name: v.name.trim(), filters }, { idempotencyKey: key });
		},
		done: (res) => {
			setValues(NO_SEARCH);
			setKey(newKey());
			onCreated(res.data);
		},
	});
	return (
		<form class="panel" onSubmit={submit} noValidate aria-labelledby="create-title">
			<h2 id="create-title">{t('saved.create_title')}</h2>
			<p class="hint">{t('saved.create_hint')}</p>
			<Problem problem={problem} fields={['name', 'filters.q', 'filters.kind']} />
			<Field label={t('saved.name')} name="name" error={errors.name} required>
				{(p) => <input {...p} maxLength={100} value={values.name} onInput={set('name')} />}
			</Field>
			<Field label={t('saved.f.q')} name="q" error={errors['filters.q']} hint={t('saved.q_hint')}>
				{(p) => <input {...p} type="search" maxLength={200} value={values.q} onInput={set('q')} />}
			</Field>
			<Field label={t('saved.f.kind')} name="kind" error={errors['filters.kind']}>
				{(p) => (
					<select {...p} value={values.kind} onChange={set('kind')}>
						<option value="">{t('common.all')}</option>
						{ENUMS.kind.map((k) => <option key={k} value={k}>{label('kind', k)}</option>)}
					</select>
				)}
			</Field>
			<div class="actions">
				<button type="submit" class="primary" disabled={busy}>{t('saved.create_button')}</button>
			</div>
		</form>
	);
}

export default function SavedSearchesPage() {
	const list = usePagedList('/saved-searches?limit=50');
	const words = useFilterWords();
	const [status, setStatus] = useState(null);
	const [gone, setGone] = useState({});
	const items = list.items.filter((s) => !gone[s.id]);
	return (
		<>
			<PageTitle>{t('saved.title')}</PageTitle>
			<p>{t('saved.intro')} <Link href="/">{t('saved.go_search')}</Link></p>
			<div role="status" class="status-line">{status ? <p class="alert alert-ok">{status}</p> : null}</div>
			<Problem problem={list.problem} />
			{!list.loading && !list.problem && items.length === 0 ? <p class="empty">{t('saved.none')}</p> : null}
			<ul class="cards">
				{items.map((s) => (
					<SavedItem
						key={s.id}
						s={s}
						words={words}
						onDeleted={(x) => {
							setGone({ ...gone, [x.id]: true });
							setStatus(t('saved.deleted', { name: x.name }));
						}}
					/>
				))}
			</ul>
			<MoreButton list={list} />
			<CreateForm
				onCreated={(s) => {
					setStatus(t('saved.created_ok', { name: s.name }));
					setGone({});
					list.reload();
				}}
			/>
		</>
	);
}
