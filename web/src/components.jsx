// Pieces every page uses: a form field with its label and the API's message
// beside it, the banner for a refused request, loading and paging, status
// badges, and the reference lists (provinces, sectors) fetched once.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

// Requests start in a layout effect, right after the render that needs
// them: Preact runs plain effects only after the next paint (up to 100 ms
// later in a tab that is not painting), which would hold every fetch back.
const useFetchEffect = useLayoutEffect;
import { get } from './api.js';
import { lang, t, label } from './i18n/index.js';
import { vietnameseApiMessage } from './i18n/api_messages.js';
import { useSignal } from './signal.js';
import { navigations } from './router.js';

let fieldSeq = 0;

// <Field label="Tiêu đề" name="title" error={errors.title}>{(props) => <input {...props} />}</Field>
// The child gets id, name, aria-invalid and aria-describedby wired to the
// error text, so a screen reader reads the API's message with the field.
export function Field({ label: text, name, error, hint, required, children }) {
	const [id] = useState(() => `f-${name}-${++fieldSeq}`);
	const errId = `${id}-err`;
	const hintId = `${id}-hint`;
	const described = [hint ? hintId : null, error ? errId : null].filter(Boolean).join(' ') || undefined;
	return (
		<div class={`field${error ? ' field-invalid' : ''}`}>
			<label for={id}>
				{text}
				{required ? <span class="required"> ({t('common.required')})</span> : null}
			</label>
			{children({ id, name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described, required })}
			{hint ? <p class="hint" id={hintId}>{hint}</p> : null}
			{error ? <p class="field-error" id={errId}>{error}</p> : null}
		</div>
	);
}

// A field message of the API in the reader's language.
const fieldMessage = (message) => (lang.value === 'vi' ? vietnameseApiMessage(message) : message);

// A form's state: its values, `busy` while its request runs, and the
// refusal it shows with its field errors.  submit(send) is the onSubmit
// handler: send(values) resolves to the API's result, and a failure the
// form shows (`shows(res)`, by default every failure) becomes its problem;
// the result is handed to done(res) either way unless it was shown.
export function useForm(initial, { send, done, shows = () => true }) {
	const [values, setValues] = useState(initial);
	const [busy, setBusy] = useState(false);
	const [problem, setProblem] = useState(null);
	const set = (k) => (e) => setValues((v) => ({ ...v, [k]: e.currentTarget.value }));
	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setProblem(null);
		const res = await send(values);
		setBusy(false);
		if (!res.ok && shows(res)) setProblem(res.problem);
		else done(res);
	};
	return { values, setValues, set, busy, problem, errors: fieldErrors(problem), submit };
}

// The API's field errors as {field: message}; nested fields ("equipment.year")
// keep their full name, and a page shows what it has no field for in the banner.
export function fieldErrors(problem) {
	const out = {};
	for (const e of problem?.errors || []) if (e && e.field && !out[e.field]) out[e.field] = fieldMessage(e.message);
	return out;
}

// The heading of a refusal: the status in the reader's language (the API's
// titles are English), unless the page says better.
function problemTitle(problem) {
	const key = `problem.${problem.status}`;
	const local = t(key);
	return local !== key ? local : (problem.title || t('common.error'));
}

// A refused request, announced to screen readers.  `fields` lists the field
// names the page shows beside inputs; other errors are listed here.  The
// API's detail is English: marked so, for screen readers, on Vietnamese pages.
export function Problem({ problem, fields = [], title }) {
	if (!problem) return null;
	if (problem.title === 'network') return <div class="alert alert-error" role="alert">{t('common.network')}</div>;
	const rest = (problem.errors || []).filter((e) => !fields.includes(e.field));
	return (
		<div class="alert alert-error" role="alert">
			<p><strong>{title || (problem.errors?.length ? t('common.fix_fields') : problemTitle(problem))}</strong></p>
			{problem.detail ? <p lang="en">{problem.detail}</p> : null}
			{rest.length ? <ul>{rest.map((e) => <li key={e.field}>{e.field}: {fieldMessage(e.message)}</li>)}</ul> : null}
		</div>
	);
}

export function Loading() {
	return <p class="loading" role="status">{t('common.loading')}</p>;
}

// Loads `path` (or nothing when null) whenever it changes; reload() fetches again.
export function useApi(path) {
	const [state, setState] = useState({ loading: !!path, res: null });
	const [tick, setTick] = useState(0);
	useFetchEffect(() => {
		if (!path) {
			setState({ loading: false, res: null });
			return undefined;
		}
		let live = true;
		setState((s) => ({ loading: true, res: s.res }));
		get(path).then((res) => live && setState({ loading: false, res }));
		return () => {
			live = false;
		};
	}, [path, tick]);
	return { ...state, reload: () => setTick((n) => n + 1) };
}

// A keyset-paged list: items so far, and "show more" while next_cursor is set.
export function usePagedList(path) {
	const [items, setItems] = useState([]);
	const [cursor, setCursor] = useState(null);
	const [state, setState] = useState({ loading: true, problem: null });
	const [tick, setTick] = useState(0);
	const load = async (from, replace) => {
		if (!path) return;
		setState({ loading: true, problem: null });
		const sep = path.includes('?') ? '&' : '?';
		const res = await get(from ? `${path}${sep}cursor=${encodeURIComponent(from)}` : path);
		if (!res.ok) {
			setState({ loading: false, problem: res.problem });
			return;
		}
		setItems((old) => (replace ? res.data.items : [...old, ...res.data.items]));
		setCursor(res.data.next_cursor);
		setState({ loading: false, problem: null });
	};
	useFetchEffect(() => {
		setItems([]);
		setCursor(null);
		load(null, true);
	}, [path, tick]);
	return {
		items, loading: state.loading, problem: state.problem,
		more: cursor ? () => load(cursor, false) : null,
		reload: () => setTick((n) => n + 1),
	};
}

export function MoreButton({ list }) {
	if (list.loading) return <Loading />;
	if (!list.more) return null;
	return <button type="button" class="button secondary" onClick={list.more}>{t('common.more')}</button>;
}

export function Badge({ group, value }) {
	return <span class={`badge badge-${value}`}>{label(group, value)}</span>;
}

// The page's <h1>, which also names the browser tab and takes focus after
// a navigation within the app so that screen readers announce the new page.
export function PageTitle({ children, text }) {
	const ref = useRef(null);
	const title = text || (typeof children === 'string' ? children : '');
	useEffect(() => {
		if (title) document.title = `${title} — ${t('app.name')}`;
		if (navigations > 0) ref.current?.focus({ preventScroll: true });
	}, [title]);
	return <h1 tabIndex={-1} ref={ref}>{children}</h1>;
}

// Lists that change only with a migration (provinces, sectors, the plan's
// indicators' titles): fetched once per page load, however many components
// ask (every listing card does), and asked again only after a failure.
const reference = {};
const referenceRequests = {};
function loadReference(path) {
	if (!referenceRequests[path]) {
		referenceRequests[path] = get(path).then((res) => {
			if (res.ok) reference[path] = res.data.items;
			else delete referenceRequests[path];
			return reference[path] || null;
		});
	}
	return referenceRequests[path];
}

export function useReference(path) {
	const [data, setData] = useState(reference[path] || null);
	useFetchEffect(() => {
		if (reference[path]) return undefined;
		let live = true;
		loadReference(path).then((items) => live && items && setData(items));
		return () => {
			live = false;
		};
	}, [path]);
	return data || [];
}

export const useProvinces = () => useReference('/provinces');
export const useSectors = () => useReference('/sectors');

// Sector and province names by code / slug in the current language: the
// code itself until the reference list has arrived (or for one it lacks),
// '—' for none.
export function useNames() {
	const sectors = useSectors();
	const provinces = useProvinces();
	const name = useRefName();
	const lookup = (list, key, value) => {
		if (!value) return '—';
		const item = list.find((x) => x[key] === value);
		return item ? name(item) : value;
	};
	return {
		sectors,
		provinces,
		sector: (code) => lookup(sectors, 'code', code),
		province: (slug) => lookup(provinces, 'slug', slug),
	};
}

// The name of a province or sector in the current language.
export function useRefName() {
	const language = useSignal(lang);
	return (item) => (item ? (language === 'en' ? item.name_en : item.name_vi) : '—');
}
