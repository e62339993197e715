//! Publish/subscribe: who listens to which channel, and delivering messages.
//!
//! This mirrors Redis's `pubsub.c`. Every subscription is kept twice, as Redis
//! does: the client remembers the names it subscribed to (for its reply counts,
//! CLIENT LIST `sub=`/`psub=`/`ssub=` and UNSUBSCRIBE without arguments), and the
//! server maps each name to its subscribers in subscription order (for PUBLISH,
//! PUBSUB NUMSUB and INFO `pubsub_channels`). The invariant: a client id is in the
//! server's list for a name exactly when the name is in that client's set, so a
//! closing client (or RESET) must go through [`forget_client`].
//!
//! There are three subscription spaces: channels (SUBSCRIBE), patterns
//! (PSUBSCRIBE, glob-style, matched with `storage::glob` on every PUBLISH) and
//! shard channels (SSUBSCRIBE; a single-shard server treats them as a separate
//! set of plain channels that patterns never see). Subscription counts in the
//! replies follow Redis: channels and patterns share one count, shard channels
//! have their own.
//!
//! A message is written straight into each subscriber's reply buffer and its
//! connection task is woken, as MONITOR feeds are. Under RESP3 every
//! subscription reply and message is a push frame (`>`), under RESP2 an array.
//! The client that publishes may itself be a subscriber (RESP3 allows any command
//! while subscribed): it is the one client the caller already holds mutably, so
//! it is passed in and written to directly.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use resp::{encode, Protocol};

use crate::client::{Client, ClientKind};
use crate::config::OutputBufferLimit;
use crate::state::Server;

/// One of the three subscription spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// SUBSCRIBE / UNSUBSCRIBE / PUBLISH.
    Channels,
    /// PSUBSCRIBE / PUNSUBSCRIBE (glob patterns).
    Patterns,
    /// SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH.
    ShardChannels,
}

impl Space {
    /// The first element of a subscribe confirmation.
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channels => b"subscribe",
            Space::Patterns => b"psubscribe",
            Space::ShardChannels => b"ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channels => b"unsubscribe",
            Space::Patterns => b"punsubscribe",
            Space::ShardChannels => b"sunsubscribe",
        }
    }
}

/// A set of names that remembers insertion order, so UNSUBSCRIBE without
/// arguments answers in a deterministic order.
#[derive(Debug, Default)]
pub struct Names {
    order: Vec<Bytes>,
    index: HashSet<Bytes>,
}

impl Names {
    /// Number of names.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Adds `name`; false when it was already there.
    fn insert(&mut self, name: &Bytes) -> bool {
        if !self.index.insert(name.clone()) {
            return false;
        }
        self.order.push(name.clone());
        true
    }

    /// Removes `name`; false when it was not there.
    fn remove(&mut self, name: &[u8]) -> bool {
        if !self.index.remove(name) {
            return false;
        }
        self.order.retain(|n| n.as_ref() != name);
        true
    }

    /// The names, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.order.iter()
    }
}

/// What one client is subscribed to (Redis's `c->pubsub_*`).
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// SUBSCRIBE channels.
    pub channels: Names,
    /// PSUBSCRIBE patterns.
    pub patterns: Names,
    /// SSUBSCRIBE shard channels.
    pub shard_channels: Names,
}

impl Subscriptions {
    fn names_mut(&mut self, space: Space) -> &mut Names {
        match space {
            Space::Channels => &mut self.channels,
            Space::Patterns => &mut self.patterns,
            Space::ShardChannels => &mut self.shard_channels,
        }
    }

    /// The count a (un)subscribe confirmation carries: channels and patterns
    /// together, or the shard channels alone.
    pub fn count(&self, space: Space) -> usize {
        match space {
            Space::Channels | Space::Patterns => self.channels.len() + self.patterns.len(),
            Space::ShardChannels => self.shard_channels.len(),
        }
    }

    /// Subscriptions of every kind; the client is in subscribed mode while > 0.
    pub fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard_channels.len()
    }
}

/// The server's side: each name's subscribers, by client id, in subscription order.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: BTreeMap<Bytes, Vec<u64>>,
    patterns: BTreeMap<Bytes, Vec<u64>>,
    shard_channels: BTreeMap<Bytes, Vec<u64>>,
}

impl PubSub {
    fn map(&self, space: Space) -> &BTreeMap<Bytes, Vec<u64>> {
        match space {
            Space::Channels => &self.channels,
            Space::Patterns => &self.patterns,
            Space::ShardChannels => &self.shard_channels,
        }
    }

    fn map_mut(&mut self, space: Space) -> &mut BTreeMap<Bytes, Vec<u64>> {
        match space {
            Space::Channels => &mut self.channels,
            Space::Patterns => &mut self.patterns,
            Space::ShardChannels => &mut self.shard_channels,
        }
    }

    /// Number of names with at least one subscriber (INFO `pubsub_channels`,
    /// `pubsub_patterns`, `pubsubshard_channels`; PUBSUB NUMPAT).
    pub fn len(&self, space: Space) -> usize {
        self.map(space).len()
    }

    /// Subscribers of one exact name (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn subscribers(&self, space: Space, name: &[u8]) -> usize {
        self.map(space).get(name).map_or(0, Vec::len)
    }

    /// Names with subscribers, in byte order (PUBSUB CHANNELS / SHARDCHANNELS).
    pub fn names(&self, space: Space) -> impl Iterator<Item = &Bytes> {
        self.map(space).keys()
    }
}

/// True while the client is in subscribed mode (Redis's CLIENT_PUBSUB flag).
pub fn is_subscribed(client: &Client) -> bool {
    client.subscriptions.total() > 0
}

/// Writes a three-element (un)subscribe confirmation.
fn confirm(client: &mut Client, word: &[u8], name: Option<&[u8]>, count: usize) {
    let proto = client.proto;
    let out = &mut client.reply;
    encode::push_len(out, 3, proto);
    encode::bulk(out, word);
    match name {
        Some(name) => encode::bulk(out, name),
        None => encode::null(out, proto),
    }
    encode::integer(out, count as i64);
}

/// Subscribed mode shows as flag P in CLIENT LIST and puts the client in the
/// pubsub output-buffer class; replicas and masters keep their own kind.
fn update_kind(client: &mut Client) {
    match (client.kind, is_subscribed(client)) {
        (ClientKind::Normal, true) => client.kind = ClientKind::PubSub,
        (ClientKind::PubSub, false) => client.kind = ClientKind::Normal,
        _ => {}
    }
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE of one name, with its confirmation
/// (sent even when the client was already subscribed, as Redis does).
pub fn subscribe(server: &mut Server, client: &mut Client, space: Space, name: &Bytes) {
    if client.subscriptions.names_mut(space).insert(name) {
        server
            .pubsub
            .map_mut(space)
            .entry(name.clone())
            .or_default()
            .push(client.id);
    }
    update_kind(client);
    let count = client.subscriptions.count(space);
    confirm(client, space.subscribe_word(), Some(name), count);
}

/// Removes one subscription; confirms it when `notify`. Returns whether the
/// client was subscribed to `name`.
pub fn unsubscribe(
    server: &mut Server,
    client: &mut Client,
    space: Space,
    name: &[u8],
    notify: bool,
) -> bool {
    let removed = client.subscriptions.names_mut(space).remove(name);
    if removed {
        let map = server.pubsub.map_mut(space);
        if let Some(ids) = map.get_mut(name) {
            ids.retain(|id| *id != client.id);
            // Drop empty entries, or a client could grow the map without bound
            // by subscribing and unsubscribing millions of names.
            if ids.is_empty() {
                map.remove(name);
            }
        }
    }
    update_kind(client);
    if notify {
        let count = client.subscriptions.count(space);
        confirm(client, space.unsubscribe_word(), Some(name), count);
    }
    removed
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE without arguments: every name of
/// the space, oldest first; a client subscribed to nothing still gets one
/// confirmation with a null name.
pub fn unsubscribe_all(server: &mut Server, client: &mut Client, space: Space, notify: bool) {
    let names: Vec<Bytes> = client
        .subscriptions
        .names_mut(space)
        .iter()
        .cloned()
        .collect();
    for name in &names {
        unsubscribe(server, client, space, name, notify);
    }
    if notify && names.is_empty() {
        let count = client.subscriptions.count(space);
        confirm(client, space.unsubscribe_word(), None, count);
    }
}

/// Drops every subscription silently (RESET, or the connection closed).
pub fn forget_client(server: &mut Server, client: &mut Client) {
    for space in [Space::Channels, Space::Patterns, Space::ShardChannels] {
        unsubscribe_all(server, client, space, false);
    }
}

/// PUBLISH (`Space::Channels`) or SPUBLISH (`Space::ShardChannels`): delivers
/// `message` to the channel's subscribers, then (PUBLISH only) to every client
/// whose pattern matches. Returns the number of deliveries, Redis's reply.
pub fn publish(
    server: &mut Server,
    publisher: &mut Client,
    space: Space,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let mut to = Recipients {
        clients: &server.clients,
        limits: &server.config.client_output_buffer_limits,
        now_ms: server.clock.now_ms(),
        receivers: 0,
        closed: 0,
    };
    let message_word: &[u8] = if space == Space::ShardChannels {
        b"smessage"
    } else {
        b"message"
    };
    if let Some(ids) = server.pubsub.map(space).get(channel) {
        for &id in ids {
            to.deliver(publisher, id, |out, proto| {
                encode::push_len(out, 3, proto);
                encode::bulk(out, message_word);
                encode::bulk(out, channel);
                encode::bulk(out, message);
            });
        }
    }
    if space != Space::ShardChannels {
        for (pattern, ids) in &server.pubsub.patterns {
            if !storage::glob::matches(pattern, channel, false) {
                continue;
            }
            for &id in ids {
                to.deliver(publisher, id, |out, proto| {
                    encode::push_len(out, 4, proto);
                    encode::bulk(out, b"pmessage");
                    encode::bulk(out, pattern);
                    encode::bulk(out, channel);
                    encode::bulk(out, message);
                });
            }
        }
    }
    let (receivers, closed) = (to.receivers, to.closed);
    server.stats.output_buffer_limit_disconnections += closed;
    receivers
}

/// Where PUBLISH delivers, and what it counted: deliveries (the reply) and
/// subscribers that the output-buffer limits closed (INFO).
struct Recipients<'a> {
    clients: &'a BTreeMap<u64, Rc<RefCell<Client>>>,
    limits: &'a [OutputBufferLimit; 3],
    now_ms: i64,
    receivers: usize,
    closed: u64,
}

impl Recipients<'_> {
    /// Writes one message into client `id`'s replies (see [`crate::obuf::push_to`]).
    fn deliver(
        &mut self,
        publisher: &mut Client,
        id: u64,
        write: impl Fn(&mut BytesMut, Protocol),
    ) {
        self.receivers += 1;
        if id == publisher.id {
            // Checked after its command, as every client's own replies are.
            let proto = publisher.proto;
            write(&mut publisher.reply, proto);
            return;
        }
        let Some(rc) = self.clients.get(&id) else {
            return;
        };
        // Only the publisher (handled above) is borrowed while a command runs.
        let Ok(mut subscriber) = rc.try_borrow_mut() else {
            return;
        };
        let proto = subscriber.proto;
        if crate::obuf::push_to(self.limits, &mut subscriber, self.now_ms, |out| {
            write(out, proto)
        }) {
            self.closed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_order_and_refuse_duplicates() {
        let mut names = Names::default();
        assert!(names.insert(&Bytes::from_static(b"b")));
        assert!(names.insert(&Bytes::from_static(b"a")));
        assert!(!names.insert(&Bytes::from_static(b"b")));
        assert_eq!(names.iter().cloned().collect::<Vec<_>>(), [&b"b"[..], b"a"]);
        assert!(names.remove(b"b"));
        assert!(!names.remove(b"b"));
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn counts_share_channels_and_patterns_but_not_shards() {
        let mut subs = Subscriptions::default();
        subs.channels.insert(&Bytes::from_static(b"c"));
        subs.patterns.insert(&Bytes::from_static(b"p*"));
        subs.shard_channels.insert(&Bytes::from_static(b"s"));
        assert_eq!(subs.count(Space::Channels), 2);
        assert_eq!(subs.count(Space::Patterns), 2);
        assert_eq!(subs.count(Space::ShardChannels), 1);
        assert_eq!(subs.total(), 3);
    }
}
