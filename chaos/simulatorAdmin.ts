// JSON over the simulator's admin routes (docs/callbacks.md), for the chaos harness.

/** GETs `url` and answers its JSON; a non-2xx answer throws naming the URL. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** POSTs `body` as JSON and answers the JSON reply; a non-2xx answer throws with the simulator's reason. */
export async function postJson<T = unknown>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
