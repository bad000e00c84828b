package shopee

// API paths (Open Platform v2) used by the client [DOC SH-API, SH-AUTH,
// SH-SCHEMA; sellerchat paths from SDK SH-TS, SH-GO, SH-PHP].
const (
	pathAuthPartner          = "/api/v2/shop/auth_partner"
	pathTokenGet             = "/api/v2/auth/token/get"
	pathAccessTokenGet       = "/api/v2/auth/access_token/get"
	pathGetConversationList  = "/api/v2/sellerchat/get_conversation_list"
	pathGetOneConversation   = "/api/v2/sellerchat/get_one_conversation"
	pathGetMessage           = "/api/v2/sellerchat/get_message"
	pathSendMessage          = "/api/v2/sellerchat/send_message"
	pathReadConversation     = "/api/v2/sellerchat/read_conversation"
	pathGetLostPushMessage   = "/api/v2/push/get_lost_push_message"
	pathConfirmLostPushMsg   = "/api/v2/push/confirm_consumed_lost_push_message"
	pushCodeWebchat          = 10
	maxLostPushPagesPerCycle = 10
)
