/** The pages of the one-click unsubscribe endpoint (DESIGN.md: reply texts in one place). */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">
<h1 style="font-size: 1.3em">${esc(title)}</h1>
${body}
</body></html>
`;

export const PAGE = {
  /** GET: a form, so that link scanners fetching the URL never unsubscribe anyone (RFC 8058 §3.2). */
  confirm: (member: string, list: string) => page(`Unsubscribe from ${list}`,
    `<p>Remove <b>${esc(member)}</b> from the list <b>${esc(list)}</b>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>`),
  notMember: (member: string, list: string) => page(`Not subscribed to ${list}`,
    `<p>${esc(member)} is not a member of ${esc(list)} (already unsubscribed).</p>`),
  removed: (member: string, list: string) => page(`Unsubscribed from ${list}`,
    `<p>${esc(member)} was removed from ${esc(list)}. You will get no more posts of this list.</p>`),
  alreadyRemoved: (member: string, list: string) => page(`Unsubscribed from ${list}`,
    `<p>${esc(member)} was already removed from ${esc(list)}: nothing to do.</p>`),
};

export const HTTP_TEXT = {
  badToken: 'This unsubscribe link is not valid (damaged, forged, or for a list that no longer exists).\n',
  badBody: 'A one-click unsubscribe POST carries the body List-Unsubscribe=One-Click (RFC 8058 section 3.2), as application/x-www-form-urlencoded or multipart/form-data.\n',
  tooLarge: 'Request body too large.\n',
  expired: (request: string) => `This unsubscribe link has expired. To leave the list, send a mail with the line LEAVE to ${request}.\n`,
  earlierSubscription: (request: string) =>
    `This unsubscribe link belongs to an earlier subscription of this address, which has since joined again. Use the link of a newer post, or send LEAVE to ${request}.\n`,
  method: 'Use GET for the page, POST to unsubscribe.\n',
  adminSubject: (list: string, member: string) => `${member} left ${list} (one-click unsubscribe)`,
  admin: (member: string, list: string) =>
    `${member} left ${list} with the one-click unsubscribe link of a post (RFC 8058).\nThe removal took effect at once: one-click unsubscribes cannot wait for approval.\n`,
};
