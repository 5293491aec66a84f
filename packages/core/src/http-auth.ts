// The token an HTTP request carries. Scripts send `Authorization: Bearer
// <token>`; a browser cannot, so HTTP Basic with the token as the password
// (any user name) counts too: the browser prompts for it on the status page's
// 401 and sends it with every request after. Pure.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The token in an Authorization header (Bearer, or Basic's password), or null. */
export function credentialOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const bearer = /^Bearer +(\S+) *$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic +(\S+) *$/i.exec(header);
  if (!basic || !BASE64.test(basic[1]!) || basic[1]!.length % 4 !== 0) return null;
  const pair = Buffer.from(basic[1]!, "base64").toString("utf8");
  const colon = pair.indexOf(":");
  return colon === -1 || colon === pair.length - 1 ? null : pair.slice(colon + 1);
}

/** The challenge a 401 carries: Basic where a browser asks (the status page), so it prompts; Bearer elsewhere. */
export function authChallenge(browser: boolean): string {
  return browser ? 'Basic realm="exacast", charset="UTF-8"' : 'Bearer realm="exacast"';
}
