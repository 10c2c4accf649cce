// Pieces the account, deal, notification and organisation pages share:
// the deal's state badge (the end-to-end tests find it by its test id),
// how one of a deal's organisations is named (an anonymous listing's
// owner shows only its kind and province), and the median first-response
// time in words.
import { Badge } from '../components.jsx';
import { label, t } from '../i18n/index.js';
import '../i18n/deals.js';

export function DealStateBadge({ state }) {
	return <span data-testid="deal-state"><Badge group="deal_state" value={state} /></span>;
}

// A DealOrganization (or ListingOwner) in words; `id` and `name` are
// absent while the API keeps an anonymous listing's owner hidden.
export function orgText(org, provinceName) {
	if (!org) return '—';
	if (org.name) return org.name;
	return t('deals.org_hidden', { kind: label('org_kind', org.kind), province: provinceName(org.province) });
}

// The median hours from an interest to the first answer, in words.
export function responseTimeText(hours) {
	if (hours === null || hours === undefined) return t('org.response_none');
	if (hours < 1) return t('org.response_within_hour');
	if (hours < 48) return t('org.response_hours', { n: Math.round(hours) });
	return t('org.response_days', { n: Math.round(hours / 24) });
}
