// Every page of the app: its URL pattern, who may open it, and its module
// (loaded on first visit, so the home page carries only what it shows).
// `access`: 'any' (anyone), 'member' (signed in), 'admin' (administrator).
export const routes = [
	{ pattern: '/', access: 'any', load: () => import('./pages/home.jsx') },
	{ pattern: '/login', access: 'any', load: () => import('./pages/auth.jsx') },
	{ pattern: '/register', access: 'any', load: () => import('./pages/auth.jsx') },
	{ pattern: '/listings/new', access: 'member', load: () => import('./pages/listing_form.jsx') },
	{ pattern: '/listings/:id/edit', access: 'member', load: () => import('./pages/listing_form.jsx') },
	{ pattern: '/listings/:id', access: 'any', load: () => import('./pages/listing.jsx') },
	{ pattern: '/my/listings', access: 'member', load: () => import('./pages/my_listings.jsx') },
	{ pattern: '/organizations/:id', access: 'any', load: () => import('./pages/organization.jsx') },
	{ pattern: '/deals', access: 'member', load: () => import('./pages/deals.jsx') },
	{ pattern: '/deals/:id', access: 'member', load: () => import('./pages/deal.jsx') },
	{ pattern: '/notifications', access: 'member', load: () => import('./pages/notifications.jsx') },
	{ pattern: '/saved-searches', access: 'member', load: () => import('./pages/saved_searches.jsx') },
	{ pattern: '/indicators', access: 'any', load: () => import('./pages/dashboard.jsx') },
	{ pattern: '/admin/moderation', access: 'admin', load: () => import('./pages/admin_moderation.jsx') },
	{ pattern: '/admin/indicators', access: 'admin', load: () => import('./pages/admin_indicators.jsx') },
	{ pattern: '/admin/report', access: 'admin', load: () => import('./pages/report.jsx') },
];
