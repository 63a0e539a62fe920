// Paging through Get400Cdr / DescribeCallBackCdr. Each answer carries the Offset of the next page;
// that the request takes `Offset` back is an assumption (the seed has the field in answers only).

/** One page of a CDR listing as the platform answers it. */
export interface CdrPage<T> {
  Cdr?: T[] | null;
  Offset?: string | null;
}

/** Pages a listing stops at whatever the platform answers: 100,000 CDRs at its page size. */
export const MAX_CDR_PAGES = 1000;

/**
 * Every CDR of a listing: `fetchPage(offset)` is asked for the first page (no offset), then for the
 * Offset each answer names, until an answer names none or is empty (an Offset that does not move on
 * would page for ever). `complete` is false when the listing was cut at MAX_CDR_PAGES.
 */
export async function listAllCdrs<T>(
  fetchPage: (offset: string | undefined) => Promise<CdrPage<T>>,
  onPage: (page: number) => void = () => {},
): Promise<{ cdrs: T[]; complete: boolean }> {
  const cdrs: T[] = [];
  let offset: string | undefined;
  for (let page = 0; page < MAX_CDR_PAGES; page++) {
    onPage(page);
    const answer = await fetchPage(offset);
    cdrs.push(...(answer.Cdr ?? []));
    offset = answer.Offset || undefined;
    if (offset === undefined || (answer.Cdr ?? []).length === 0) return { cdrs, complete: true };
  }
  return { cdrs, complete: false };
}
