/**
 * node-opcua failures → one clear sentence for the node status and log. node-opcua reports
 * most service failures as plain Errors whose message carries the StatusCode name, and socket
 * failures with the Node.js error code, so both are looked at.
 */
import { describeError } from '../errors';

const SOCKET_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the server running on that port?)',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'connection timed out',
};

const STATUS_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/BadUserAccessDenied|BadIdentityTokenInvalid/, 'the server rejected the user name or password'],
  // node-opcua servers answer so for a user certificate that is not in their trusted user certificates.
  [/BadIdentityTokenRejected/, 'the server does not accept the user certificate: its administrator must trust it for user login'],
  [/BadUserSignatureInvalid/, 'the server could not verify the user certificate signature (a key that does not belong to the certificate?)'],
  [/BadCertificateUntrusted|BadSecurityChecksFailed|server Certificate verification failed/i,
    'the server certificate is not trusted: move it from rejected/ to trusted/certs/ in the client PKI folder'],
  [/BadCertificate\w*/, 'the server refused the certificate'],
  [/Cannot find an Endpoint matching|BadSecurityPolicyRejected|BadSecurityModeRejected/i, 'the server offers no endpoint with this security mode and policy'],
  [/BadTooManySessions/, 'the server has too many sessions'],
  [/BadTimeout/, 'the server did not answer in time'],
];

export function describeOpcuaError(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = describeError(err);
  if (typeof code === 'string' && SOCKET_CODES[code]) return SOCKET_CODES[code];
  for (const [name, text] of Object.entries(SOCKET_CODES)) if (message.includes(name)) return text;
  for (const [pattern, text] of STATUS_REASONS) {
    if (pattern.test(message)) {
      const status = /\b(Bad\w+)/.exec(message)?.[1];
      return status && !text.includes(status) ? `${text} (${status})` : text;
    }
  }
  return message.split('\n')[0];
}
