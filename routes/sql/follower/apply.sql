-- One changefeed message (the body, JSON text) applied to this region's mirror: orgsync_follow (V12)
-- keeps the message's state only over a row with a smaller change_seq, so redelivery, a rebalance or a
-- replay from the topic's start changes nothing. Answers whether it changed the mirror.
-- Used by route follow-changefeed.
SELECT orgsync_follow(CAST(:#${body} AS jsonb)) AS changed
