package main

// exampleConfig is what `shopbridge init` writes. Secrets come from the
// environment through ${NAME} references; every problem is reported at once
// by `shopbridge check-config`.
const exampleConfig = `# shopbridge configuration.
# Secrets are read from the environment with ${NAME}; keep them out of this file.

log:
  level: info          # debug | info | warn | error
  format: text         # text | json

http:
  # One listener for marketplace pushes, Slack HTTP mode, the Telegram
  # webhook, authorization callbacks and /healthz.
  listen: 127.0.0.1:8080
  # How the shop owner's browser reaches the listener: authorization links
  # send the owner back to <public_url>/auth/shopee/callback. Default:
  # http://<listen>, enough when the owner authorizes from this machine.
  # public_url: https://bridge.example.com
  # read_header_timeout: 5s    # a client slower than these gets 408 (or the
  # read_timeout: 15s          #   connection closed); 413 is only for a body
  # max_body_bytes: 1048576    #   over max_body_bytes
  # write_timeout: 15s
  # idle_timeout: 60s
  # refusal_log_interval: 1m   # refused requests (forged signatures, wrong
  #                            #   secrets): the first of each kind is logged,
  #                            #   then a count at most this often

state:
  backend: sqlite        # or postgres (several replicas share the stores by leases)
  path: shopbridge.db    # in the container: /data/shopbridge.db
                         # created if missing; its directory must exist, and an
                         # empty file is refused (start once with --new-state)
  # dsn: postgres://shopbridge:${PGPASSWORD}@db:5432/shopbridge   # backend: postgres

sync:
  poll_interval: 30s      # each store's conversation list is polled this often
  failure_threshold: 3    # failed syncs in a row before the "interrupted" alert
  debounce: 3s            # stable success needed before the catch-up
  probe_interval: 1s      # a store that is down is probed this often for
  probe_fast_for: 2m      #   its first 2 minutes, then less and less often
  import_window: 24h      # first start: unanswered conversations younger than this
  note_prefix: "note:"    # thread replies starting with this stay internal
  send_attempts: 6        # automatic attempts of a reply before it shows failed
  # Lazada stores are push-first (never polled):
  # health_interval: 1m   # their cheap health call (/seller/get)
  # import_delay: 12m     # one-off history import this long after a store is added or authorized
  # push_silence: 10m     # replies sent but no push since: the store is flagged

# Store authorization ("/shopbridge store update <store>" or
# "shopbridge store authorize <store>") and token upkeep.
auth:
  refresh_margin: 30m     # refresh access tokens this long before they expire
  link_ttl: 10m           # an authorization link is accepted back this long
  expiry_warning: 168h    # alert this long before a store's authorization ends

# The daily inspection report: posted at a local time (IANA time zone) to the
# surface's report channel or the schedule's own, once per day and schedule.
# "/shopbridge report" and "shopbridge report" make one on request.
report:
  schedules:
    - time: "09:00"
      timezone: Asia/Kuala_Lumpur
      # channel: C0DDDDDDDDD          # default: the surface's report channel
      # sites: [MY, SG]               # only these sites' stores (or stores: [id, …])
  sla: 15m                # a buyer waiting longer than this is a missed reply
  # thresholds:           # when a checklist line turns ⚠️ or ❌
  #   downtime_critical: 30m
  #   slow_sync: 10s
  #   stale_sync: 15m
  #   token_warn: 168h     # refresh token or proxy expiring within 7 days
  #   send_latency_warn: 30s
  #   failure_rate_critical: 0.1
  #   missed_critical: 5
  #   response_warn: 15m   # first-response p90
  #   response_critical: 1h

# The chat surface: console, slack or telegram.
chat: slack

slack:
  bot_token: ${SLACK_BOT_TOKEN}      # xoxb-…
  app_token: ${SLACK_APP_TOKEN}      # xapp-… (Socket Mode, the default)
  inbox_channel: C0123456789         # threads of stores without their own channel
  alerts_channel: C0123456789
  admins: [U0123456789]              # Slack user IDs allowed to change things
  # site_channels: {MY: C0AAAAAAAAA, SG: C0BBBBBBBBB}

# telegram:
#   token: ${TELEGRAM_BOT_TOKEN}
#   inbox_chat: -1001234567890       # a supergroup with topics on; the bot is an admin
#   alerts_chat: -1001234567890
#   admins: [123456789]

# The marketplace apps. A section is needed (and its ${…} variables set) only
# when a store below is on its platform. Setup of each app (scopes, push and
# webhook URLs): platforms/README.md.
shopee:
  partner_id: 2001887
  partner_key: ${SHOPEE_PARTNER_KEY}
  # base_url: https://partner.shopeemobile.com   # or the sandbox / the simulator
  # push_callback_url: https://bridge.example.com/push/shopee
  # push_max_age: 10m    # signed pushes older than this are refused (replays)
  # push_max_skew: 5m    # ... and so are those dated further than this in the future

# Lazada (LazOP) is push-first: messages arrive by push only; the IM lists are
# called only by the one-off history import and the repair command.
# lazada:
#   app_key: "100123"
#   app_secret: ${LAZADA_APP_SECRET}
#   # Push URL in the Lazada console: https://bridge.example.com/push/lazada —
#   # HTTPS with an OV or EV certificate (Let's Encrypt/DV is refused).
#   # push_path: /push/lazada
#   # gateway_url: ""                # one gateway for every site (sandbox, simulator)
#   # max_list_calls_per_hour: 30    # safety cap on the IM lists per store

# TikTok Shop (Partner API 202309): webhooks carry the messages, a poll every
# 5 minutes is the safety net. The customer-service scope needs your Partner
# Manager's approval.
# tiktok:
#   app_key: 6abcd1234
#   app_secret: ${TIKTOK_APP_SECRET}
#   service_id: "7431458374265161478"  # from Partner Center's authorization link
#   # Webhook URL in Partner Center: https://bridge.example.com/webhook/tiktok
#   # (HTTPS, a domain name, no port); Redirect URL: …/auth/tiktok/redirect.
#   # poll_interval: 5m
#   # daily_quota: 10000

stores:
  - id: shopee-my-main
    platform: shopee
    shop_id: "14701711"
    name: Main Store
    site: MY              # shopee: BR CL CO ID MX MY PH SG TH TW VN
    # channel: C0CCCCCCCCC            # this store's own channel
    # proxy: http://user:pass@proxy.example:3128
    # proxy_expires: 2026-12-31
    # Tokens you already hold; otherwise run "shopbridge store authorize shopee-my-main".
    access_token: ${SHOPEE_MY_MAIN_ACCESS_TOKEN}
    refresh_token: ${SHOPEE_MY_MAIN_REFRESH_TOKEN}
  # - id: lazada-sg-main
  #   platform: lazada
  #   shop_id: "1000123456"   # the seller_id
  #   name: Lion City Goods
  #   site: SG                # lazada: ID MY PH SG TH VN (picks the country gateway)
  # - id: tiktok-th-main
  #   platform: tiktok
  #   shop_id: "7494049642642441621"   # TikTok's numeric shop ID
  #   name: Bangkok Bazaar
  #   site: TH                # tiktok: BR DE ES FR GB ID IE IT JP MX MY PH SG TH US VN
`
