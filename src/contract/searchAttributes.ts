import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes operators filter on in Temporal UI. They never hold a caller's or
// callee's phone number: the virtual number belongs to the platform, not to a person.
export const NppBindId = defineSearchAttributeKey('NppBindId', SearchAttributeType.KEYWORD);
export const NppVirtualNum = defineSearchAttributeKey('NppVirtualNum', SearchAttributeType.KEYWORD);
/** A session's SessionStatus, or a callback call's CallBackStatus (filter by WorkflowType to tell them apart). */
export const NppSessionStatus = defineSearchAttributeKey('NppSessionStatus', SearchAttributeType.KEYWORD);
/** Why a closed session ended (SessionClosedReason), e.g. `released-by-platform` when unbinding never succeeded. */
export const NppClosedReason = defineSearchAttributeKey('NppClosedReason', SearchAttributeType.KEYWORD);
export const NppCallId = defineSearchAttributeKey('NppCallId', SearchAttributeType.KEYWORD_LIST);

export const NPP_SEARCH_ATTRIBUTES = [NppBindId, NppVirtualNum, NppSessionStatus, NppClosedReason, NppCallId];
