// NPP (Number Protection) API 2019-08-23 request and response shapes. Names and field names follow
// the official SDK models exactly, typos included (VirturalNumCdr, RreCallerHandle), because they
// are the wire format. Every value is a string on the wire, numeric codes included.

/** Request of GetVirtualNum: bind a virtual (middle) number to a callee, optionally for one caller (AXB) or a callee only (XB). */
export interface GetVirtualNumRequest {
  /** Business application id. */
  BizAppId: string;
  /** Callee number, prefixed with 0086 (e.g. 008613631686024). */
  Dst: string;
  /** Caller number, prefixed with 0086; required in AXB mode, omitted in XB mode. */
  Src?: string;
  /** XB mode only (N-to-1): the only callers (0086-prefixed, at most 30) allowed to dial the exclusive binding of Dst; empty means anyone may call. */
  AccreditList?: Array<string>;
  /** Request this exact virtual number (e.g. 008617013541251); the binding fails if it is already in use. Omitted: the platform picks one from the pool. */
  AssignVirtualNum?: string;
  /** "1" records calls, "0" (default) does not; when recording, wait for the record callback before unbinding. */
  Record?: string;
  /** City id the displayed number should belong to; if the city has no numbers a random city is used or, per backend setting, error 107 is returned. */
  CityId?: string;
  /** Secondary business id, unique within the app, at most 16 bytes. */
  BizId?: string;
  /** Maximum binding lifetime in seconds; default 24 hours, at most 168 hours. */
  MaxAssignTime?: string;
  /** Bit set of call states to push to StatusUrl (see StatusFlagBits): "0" pushes nothing, "16191" pushes all. */
  StatusFlag?: string;
  /** State callback URL; used together with StatusFlag. Production may configure a default. */
  StatusUrl?: string;
  /** Hang-up (call detail record) callback URL. Production may configure a default. */
  HangupUrl?: string;
  /** Recording URL callback URL. Production may configure a default. */
  RecordUrl?: string;
}

/** Response of GetVirtualNum. */
export interface GetVirtualNumResponse {
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Binding id, globally unique; may be null. */
  BindId?: string;
  /** Remaining reference count of the virtual number; it is released when the count reaches 0. May be null. */
  RefNum?: string;
  /** The bound virtual number; may be null. */
  VirtualNum?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Unique request id, returned on every call; quote it when reporting problems. */
  RequestId?: string;
}

/** Request of DelVirtualNum: remove a binding. */
export interface DelVirtualNumRequest {
  /** Business application id. */
  BizAppId: string;
  /** Binding id (both numbers plus the virtual number), globally unique. */
  BindId: string;
  /** Secondary business id, unique within the app, at most 16 bytes. */
  BizId?: string;
}

/** Response of DelVirtualNum. */
export interface DelVirtualNumResponse {
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error message; may be null. */
  Msg?: string;
  /** Binding id; may be null. */
  BindId?: string;
  /** Remaining reference count of the virtual number; it is released when the count reaches 0. May be null. */
  RefLeftNum?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of CreateCallBack: the platform calls the caller first, then bridges to the callee. */
export interface CreateCallBackRequest {
  /** Business application id. */
  BizAppId: string;
  /** Caller number: an 11-digit mobile number prefixed with 0086 (e.g. 008613631686024). */
  Src: string;
  /** Callee number: an 11-digit mobile or a landline prefixed with 0086 (e.g. 0086075586013388). */
  Dst: string;
  /** Landline number shown to the caller, from the assigned set; random when omitted. */
  SrcDisplayNum?: string;
  /** Landline number shown to the callee, from the assigned set; random when omitted. */
  DstDisplayNum?: string;
  /** "1" records the call, "0" (default) does not. */
  Record?: string;
  /** Maximum call length in minutes; default 30. */
  MaxAllowTime?: string;
  /** Bit set of call states to push to StatusUrl (see StatusFlagBits): "0" pushes nothing, "16191" pushes all. */
  StatusFlag?: string;
  /** State callback URL. Production may configure a default. */
  StatusUrl?: string;
  /** Hang-up (call detail record) callback URL. Production may configure a default. */
  HangupUrl?: string;
  /** Recording URL callback URL. Production may configure a default. */
  RecordUrl?: string;
  /** Business key, unique within the app, letters and digits only, at most 64 bytes. */
  BizId?: string;
  /** CallId of the previous call; the platform then prefers a different line (affects line scheduling, use with care). */
  LastCallId?: string;
  /** Prompt and key-press handling played to the caller before the callee is dialled; requires its KeyList. */
  PreCallerHandle?: RreCallerHandle;
  /** Order id, at most 64 bytes; carried only in billing records, not in other callbacks. */
  OrderId?: string;
}

/** Response of CreateCallBack. */
export interface CreateCallBackResponse {
  /** Id of the call (and of its detail record); may be null. */
  CallId?: string;
  /** Landline number shown to the caller; may be null. */
  SrcDisplayNum?: string;
  /** Landline number shown to the callee; may be null. */
  DstDisplayNum?: string;
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of DeleteCallBack: cancel a callback call. */
export interface DeleteCallBackRequest {
  /** Business application id. */
  BizAppId: string;
  /** CallId returned by CreateCallBack. */
  CallId: string;
  /** When to refuse tearing down: "0" always tear down (default); "1" not once the caller rings; "2" not once the caller answered; "3" not once the callee rings; "4" not once the callee answered. */
  CancelFlag?: string;
}

/** Response of DeleteCallBack. */
export interface DeleteCallBackResponse {
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Id of the cancelled call; may be null. */
  CallId?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of DescribeCallBackStatus: the latest state of a callback call. */
export interface DescribeCallBackStatusRequest {
  /** Business application id. */
  BizAppId: string;
  /** CallId returned by CreateCallBack. */
  CallId: string;
  /** Caller number. */
  Src?: string;
  /** Callee number. */
  Dst?: string;
  /** Last call state: "0" unknown, "1" caller ringing, "2" caller answered, "3" callee ringing, "4" in conversation, "5" ended. */
  CallStatus?: string;
}

/** Response of DescribeCallBackStatus. */
export interface DescribeCallBackStatusResponse {
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error message. */
  Msg?: string;
  /** Business application id. */
  AppId?: string;
  /** CallId returned by CreateCallBack. */
  CallId?: string;
  /** Caller number. */
  Src?: string;
  /** Callee number. */
  Dst?: string;
  /** Last call state: "0" unknown, "1" caller ringing, "2" caller answered, "3" callee ringing, "4" in conversation, "5" ended. */
  CallStatus?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of DescribeCallBackCdr: callback call detail records. */
export interface DescribeCallBackCdrRequest {
  /** Business application id. */
  BizAppId: string;
  /** CallId returned by CreateCallBack, to fetch that one record. */
  CallId?: string;
  /** Caller whose records to fetch; empty fetches every record of the time range. */
  Src?: string;
  /** Start of the time range (Unix timestamp). */
  StartTimeStamp?: string;
  /** End of the time range (Unix timestamp). */
  EndTimeStamp?: string;
  /** Records to skip: the `Offset` a previous answer returned. Not in the seed's request: an assumption. */
  Offset?: string;
}

/** Response of DescribeCallBackCdr. */
export interface DescribeCallBackCdrResponse {
  /** Call detail records; may be null. */
  Cdr?: Array<CallBackCdr>;
  /** Paging offset; may be null. */
  Offset?: string;
  /** Business result code: "0" is success, anything else is a business error described by Msg. May be null. */
  ErrorCode?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of DescribeCallerDisplayList: the numbers that may be shown to callers. */
export interface DescribeCallerDisplayListRequest {
  /** Business application id. */
  BizAppId: string;
}

/** Response of DescribeCallerDisplayList. */
export interface DescribeCallerDisplayListResponse {
  /** Application id; may be null. */
  AppId?: string;
  /** Numbers shown to callers; empty when both parties see each other's number. May be null. */
  CodeList?: Array<CallBackPhoneCode>;
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Request of Get400Cdr: detail records of direct calls to virtual numbers. */
export interface Get400CdrRequest {
  /** Business application id. */
  BizAppId: string;
  /** Call id from the direct-call records, to fetch that one record. */
  CallId?: string;
  /** Caller (0086-prefixed) whose records to fetch; empty fetches every record of the time range. */
  Src?: string;
  /** Start of the time range (Unix timestamp). */
  StartTimeStamp?: string;
  /** End of the time range (Unix timestamp). */
  EndTimeStamp?: string;
  /** Records to skip: the `Offset` a previous answer returned. Not in the seed's request: an assumption. */
  Offset?: string;
}

/** Response of Get400Cdr. */
export interface Get400CdrResponse {
  /** Business result code: "0" is success, anything else is a business error described by Msg. */
  ErrorCode?: string;
  /** Error reason; may be null. */
  Msg?: string;
  /** Paging offset; may be null. */
  Offset?: string;
  /** Call detail records; may be null. */
  Cdr?: Array<VirturalNumCdr>;
  /** Unique request id, returned on every call. */
  RequestId?: string;
}

/** Detail record of one callback call. */
export interface CallBackCdr {
  /** Call id. */
  CallId: string;
  /** Caller number. */
  Src: string;
  /** Callee number. */
  Dst: string;
  /** When the platform started calling the caller. */
  StartSrcCallTime: string;
  /** When the caller's phone started ringing. */
  StartSrcRingTime: string;
  /** When the caller answered. */
  SrcAcceptTime: string;
  /** When the platform started calling the callee. */
  StartDstCallTime: string;
  /** When the callee's phone started ringing. */
  StartDstRingTime: string;
  /** When the callee answered. */
  DstAcceptTime: string;
  /** When the call ended by hang-up. */
  EndCallTime: string;
  /** Final state: "0" unknown, "1" normal call, "2" caller did not answer, "3" caller answered but callee did not, "4" caller unreachable, "5" callee unreachable. */
  CallEndStatus: string;
  /** Billed call duration. */
  Duration: string;
  /** Recording URL; empty when not recorded or recording failed. */
  RecordUrl: string;
  /** Call type: "1" VoIP, "2" IP to PSTN, "3" PSTN to PSTN (the default for callback when absent). May be null. */
  CallType: string;
  /** BizId of the CreateCallBack request, when it had one. May be null. */
  BizId: string;
  /** OrderId of the CreateCallBack request, carried only in billing records. May be null. */
  OrderId: string;
}

/** Detail record of one direct call to a virtual number. */
export interface VirturalNumCdr {
  /** Call id. */
  CallId: string;
  /** Binding id (both numbers plus the virtual number), globally unique. */
  BindId: string;
  /** Caller number. */
  Src: string;
  /** Callee number. */
  Dst: string;
  /** Virtual number the caller dialled. */
  DstVirtualNum: string;
  /** When the platform received the call. */
  CallCenterAcceptTime: string;
  /** When the platform started calling the callee. */
  StartDstCallTime: string;
  /** When the callee's phone started ringing. */
  StartDstRingTime: string;
  /** When the callee answered. */
  DstAcceptTime: string;
  /** When the call ended by hang-up. */
  EndCallTime: string;
  /** Final state: "0" unknown, "1" normal call, "2" error looking up the forwarding callee, "3" not connected, "4" not answered, "5" rejected, "6" phone off, "7" number does not exist, "8" busy, "9" account in arrears, "10" carrier line or platform failure. */
  CallEndStatus: string;
  /** Time from the caller reaching the virtual number to the end of the call. */
  SrcDuration: string;
  /** Time from the callee answering the forwarded call to the end of the call. */
  DstDuration: string;
  /** Recording URL; empty when not recorded or recording failed. */
  RecordUrl: string;
}

/** Pre-call handling for the caller of a callback call: prompts and key presses decide whether the callee is dialled. */
export interface RreCallerHandle {
  /** Prompt played once the caller answers; key presses are ignored while it plays. */
  ReadPrompt: string;
  /** Interruptible prompt; the caller may press keys while it plays. */
  InterruptPrompt: string;
  /** Actions per key; a key not listed replays InterruptPrompt. */
  KeyList: Array<KeyList>;
  /** Maximum number of replays before the call is torn down. */
  RepeatTimes: string;
  /** Key-press callback URL; no callback when empty. */
  KeyPressUrl: string;
  /** Prompt voice: "1" female (default), "2" male. */
  PromptGender: string;
}

/** Action bound to one key during pre-call handling. */
export interface KeyList {
  /** The key: 0-9, *, # or A-D. */
  Key: string;
  /** Action: "1" dial the callee, "2" replay InterruptPrompt, "3" tear down the call. */
  Operate: string;
}

/** A number that can be displayed for callback calls. */
export interface CallBackPhoneCode {
  /** Country code, starting with 00. */
  Nation: string;
  /** Number; landlines carry their area code with a leading 0 (e.g. 075586013388). */
  Phone: string;
}

/** Request and response type of every NPP action. */
export interface NppActions {
  GetVirtualNum: { request: GetVirtualNumRequest; response: GetVirtualNumResponse };
  DelVirtualNum: { request: DelVirtualNumRequest; response: DelVirtualNumResponse };
  CreateCallBack: { request: CreateCallBackRequest; response: CreateCallBackResponse };
  DeleteCallBack: { request: DeleteCallBackRequest; response: DeleteCallBackResponse };
  DescribeCallBackStatus: { request: DescribeCallBackStatusRequest; response: DescribeCallBackStatusResponse };
  DescribeCallBackCdr: { request: DescribeCallBackCdrRequest; response: DescribeCallBackCdrResponse };
  DescribeCallerDisplayList: { request: DescribeCallerDisplayListRequest; response: DescribeCallerDisplayListResponse };
  Get400Cdr: { request: Get400CdrRequest; response: Get400CdrResponse };
}

/** Name of an NPP action, as sent in X-TC-Action. */
export type NppAction = keyof NppActions;

export const NPP_API_VERSION = '2019-08-23';

/** Bits of StatusFlag: which call states are pushed to StatusUrl. */
export const StatusFlagBits = {
  CallerCallStart: 1,
  CallerRinging: 2,
  CallerAnswered: 4,
  CallerRejected: 8,
  CallerHangup: 16,
  CallerError: 32,
  CalleeCallStart: 256,
  CalleeRinging: 512,
  CalleeAnswered: 1024,
  CalleeRejected: 2048,
  CalleeHangup: 4096,
  CalleeError: 8192,
} as const;

/** StatusFlag value that pushes every state: the sum of all StatusFlagBits. */
export const ALL_STATUS_FLAGS = 16191;
