import Foundation
import RikerCore
import RikerRelease

/// Our claim on an app env's lane, shared by the deliveries of that env this server holds.
struct LaneHold {
    var etag: String
    var count: Int
}

extension StoreLayout {
    /// The lane of an app env in a shared queue: which server builds it now.
    static func webhookLane(_ key: String) -> String { "webhooks/lanes/\(key).claim" }
}

/// Lanes: one server at a time builds the deliveries of an app env. A `DeliveryClaim` at
/// `webhooks/lanes/APP/ENV.claim`, taken by the first delivery of the env this server holds,
/// renewed by the heartbeat, given up (expired) when the last one is completed or released.
extension SQSDeliveryQueue {
    /// Takes (or shares) the lane of `key`; false when a live claim of another server holds it.
    func acquireLane(_ key: String) async throws -> Bool {
        let shared: Bool = lock.withLock {
            guard lanes[key] != nil else { return false }
            lanes[key]!.count += 1
            return true
        }
        if shared { return true }
        let storeKey = StoreLayout.webhookLane(key)
        for _ in 0..<3 {
            let mine = try JSONCoding.encode(DeliveryClaim.mine(holder: holder, expiresAt: Date().addingTimeInterval(configuration.claimLease)))
            do {
                let etag = try await store.put(storeKey, mine, condition: .ifAbsent)
                return adopt(key, etag)
            } catch let e as RikerError where e.code == .preconditionFailed {}
            guard let object = try await store.get(storeKey) else { continue }
            let claim = try? JSONCoding.decode(DeliveryClaim.self, from: object.data, what: "lane claim")
            // Ours but given up, or left by a server that is gone: take it.
            if let claim, claim.holder != holder, !claim.isAbandoned(now: Date()) { return false }
            do {
                let etag = try await store.put(storeKey, mine, condition: .ifMatch(object.etag))
                return adopt(key, etag)
            } catch let e as RikerError where e.code == .preconditionFailed {}
        }
        return false
    }

    private func adopt(_ key: String, _ etag: String) -> Bool {
        lock.withLock {
            if lanes[key] != nil { lanes[key]!.count += 1 } else { lanes[key] = LaneHold(etag: etag, count: 1) }
        }
        return true
    }

    /// One delivery of `key` is over here; the last one gives the lane up.
    func dropLane(_ key: String) async {
        let etag: String? = lock.withLock {
            guard var lane = lanes[key] else { return nil }
            lane.count -= 1
            if lane.count > 0 { lanes[key] = lane; return nil }
            lanes[key] = nil
            return lane.etag
        }
        guard var known = etag else { return }
        let storeKey = StoreLayout.webhookLane(key)
        for _ in 0..<3 {
            let expired = DeliveryClaim(holder: holder, expiresAt: .distantPast, done: false)
            guard let data = try? JSONCoding.encode(expired) else { return }
            if (try? await store.put(storeKey, data, condition: .ifMatch(known))) != nil { return }
            // Renewed meanwhile: expire the newer one, unless this server took the lane again.
            guard let object = try? await store.get(storeKey),
                  let claim = try? JSONCoding.decode(DeliveryClaim.self, from: object.data, what: "lane claim"),
                  claim.holder == holder, lock.withLock({ lanes[key] == nil }) else { return }
            known = object.etag
        }
    }

    /// Extends the lease of every lane this server holds.
    func renewLanes() async {
        for (key, lane) in lock.withLock({ lanes }) {
            do {
                let mine = try JSONCoding.encode(DeliveryClaim.mine(holder: holder, expiresAt: Date().addingTimeInterval(configuration.claimLease)))
                let etag = try await store.put(StoreLayout.webhookLane(key), mine, condition: .ifMatch(lane.etag))
                lock.withLock { if lanes[key] != nil { lanes[key]!.etag = etag } }
            } catch {
                if lock.withLock({ lanes[key] != nil }) {
                    logger.warning("cannot renew an app env's build lane", metadata: ["lane": .string(key), "error": .string(error.userMessage)])
                }
            }
        }
    }
}
