// Uses of the deprecated event; tools/diagnostics.mjs expects a deprecation suggestion (6385/6387)
// on each line marked DEPRECATED and none elsewhere.
import { createTracker, testTransport, trackSystemSignInCompleted, createCoreTracker } from '../../generated/frontend/src/lib/analytics/index.js';
import type { SystemSignInCompletedPayload } from '../../generated/frontend/src/lib/analytics/index.js';

const tracker = createTracker({ transport: testTransport(), validation: 'warn' });
tracker.system.signInCompleted({ signInMethod: 'credentials' }); // DEPRECATED
trackSystemSignInCompleted(createCoreTracker({ transport: testTransport() }), { signInMethod: 'credentials' }); // DEPRECATED
const payload: SystemSignInCompletedPayload = { signInMethod: 'google_sso' }; // DEPRECATED
tracker.system.loginSucceeded({ authMethod: 'saml_sso', mfaUsed: true, platform: 'web' });
void payload;
