package tiktok

import (
	"context"
	"net/http"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// shop_cipher [DOC TT-CS, TT-SIGN]: every shop API takes the shop's cipher,
// from Get Authorized Shops (data.shops[].cipher). It is fetched once per
// store and kept; when TikTok refuses it (106013 missing, 101000 shop
// mismatch) it is fetched again and the call retried once.

// shopCipher returns the store's shop_cipher, fetching it with token when
// it is not known yet.
func (c *Client) shopCipher(ctx context.Context, store bridge.Store, token string) (string, error) {
	st := c.state(store.ID)
	st.cipherMu.Lock()
	defer st.cipherMu.Unlock()
	if st.cipher != "" {
		return st.cipher, nil
	}
	shops, err := c.authorizedShops(ctx, store, token)
	if err != nil {
		return "", err
	}
	cipher, ok := cipherOf(shops, store.ShopID)
	if !ok {
		return "", c.authErr("get authorized shops", store, "the store's tokens authorize shops "+shopList(shops)+
			", not shop "+store.ShopID+": check stores."+string(store.ID)+".shop_id or authorize the right shop")
	}
	st.cipher = cipher
	return cipher, nil
}

// dropCipher forgets a refused shop_cipher (unless another call already
// fetched a new one).
func (c *Client) dropCipher(store bridge.Store, refused string) {
	st := c.state(store.ID)
	st.cipherMu.Lock()
	if st.cipher == refused {
		st.cipher = ""
	}
	st.cipherMu.Unlock()
}

// authorizedShops calls Get Authorized Shops with token (signed, no
// shop_cipher, no customer-service quota).
func (c *Client) authorizedShops(ctx context.Context, store bridge.Store, token string) ([]wireShop, error) {
	const op = "get authorized shops"
	data, err := c.do(ctx, store, apiCall{path: pathAuthorizedShops, api: "authorized_shops", op: op, method: http.MethodGet, idempotent: true}, token, "")
	if err != nil {
		return nil, err
	}
	shops, err := decodeShops(data)
	if err != nil {
		return nil, c.decodeErr(op, err)
	}
	return shops, nil
}

func cipherOf(shops []wireShop, shopID string) (string, bool) {
	for _, s := range shops {
		if string(s.ID) == shopID && s.Cipher != "" {
			return string(s.Cipher), true
		}
	}
	return "", false
}

func shopList(shops []wireShop) string {
	if len(shops) == 0 {
		return "(none)"
	}
	ids := make([]string, 0, len(shops))
	for _, s := range shops {
		ids = append(ids, string(s.ID))
	}
	return strings.Join(ids, ", ")
}
