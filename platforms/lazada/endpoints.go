package lazada

// API paths [DOC LZ-IM, LZ-TOKEN; /seller/get from the Seller API page
// GetSeller]. They are signed as written here; the gateway URL in front of
// them ends in "/rest".
const (
	pathTokenCreate  = "/auth/token/create"
	pathTokenRefresh = "/auth/token/refresh"
	pathSellerGet    = "/seller/get"
	pathSessionList  = "/im/session/list"
	pathSessionGet   = "/im/session/get"
	pathMessageList  = "/im/message/list"
	pathMessageSend  = "/im/message/send"
	pathSessionRead  = "/im/session/read"
)

// Message template IDs [DOC LZ-IM, LZ-PUSHIM, LZ-IMBP §5].
const (
	templateText          = 1
	templateSystemText    = 2
	templateImage         = 3
	templateEmoji         = 4
	templateVideo         = 6
	templateItem          = 10006
	templateOrder         = 10007
	templateVoucher       = 10008
	templateFollowStore   = 10010
	templateRefund        = 10011
	templateAutoReply     = 10015
	messageTypeSystem     = 2 // message "type": 1 sent by a user, 2 by the system
	accountTypeBuyer      = 1
	accountTypeSeller     = 2
	messageStatusRecalled = 1
)

// Push message types [DOC LZ-PUSH, LZ-PUSHIM; articleId=120208 for 8].
const (
	pushIMMessage     = 2
	pushAuthExpiring  = 8
	pushSessionUpdate = 19
)

// MaxPageSize is the largest page_size of /im/session/list and
// /im/message/list [DOC LZ-IMBP].
const MaxPageSize = 20
