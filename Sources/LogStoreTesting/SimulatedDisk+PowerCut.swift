import LogStore
import Synchronization

extension SimulatedDisk {
    /// The disk as it would be found after a power cut now (this disk is left as it is, so
    /// whatever still runs against it cannot touch the new one). Randomness comes from `seed`.
    public func powerCut(seed: UInt64) -> SimulatedDisk {
        var random = SplitMix64(seed: seed)
        let after = state.withLock { state in Self.crashed(state, using: &random) }
        return SimulatedDisk(state: after)
    }

    /// The disk after a clean shutdown of the machine: everything written reaches it.
    public func cleanRestart() -> SimulatedDisk {
        state.withLock { state in
            var after = State()
            after.names = state.names
            after.durableNames = state.names
            after.nextInode = state.nextInode
            for inode in Set(state.names.values) {
                var node = state.inodes[inode]!
                node.synced = node.data
                after.inodes[inode] = node
            }
            return SimulatedDisk(state: after)
        }
    }

    static func crashed(_ state: State, using random: inout SplitMix64) -> State {
        var names = state.durableNames
        for directory in state.pending.keys.sorted() {
            let operations = state.pending[directory]!
            let kept = Int.random(in: 0...operations.count, using: &random)
            for operation in operations[..<kept] { apply(operation, to: &names) }
        }
        // A directory that did not survive takes its contents with it.
        for path in names.keys.sorted(by: { $0.count < $1.count }) where path != "/" {
            guard names[path] != nil else { continue }
            let parent = parentDirectory(of: path)
            if names[parent] == nil || state.inodes[names[parent]!]?.isDirectory != true {
                names.removeValue(forKey: path)
            }
        }
        var after = State()
        after.names = names
        after.durableNames = names
        after.nextInode = state.nextInode
        for inode in Set(names.values) {
            var node = state.inodes[inode]!
            if !node.isDirectory {
                node.data = crashImage(of: node, using: &random)
                node.synced = node.data
            }
            after.inodes[inode] = node
        }
        return after
    }

    static let sectorSize = 512

    static func crashImage(of inode: Inode, using random: inout SplitMix64) -> [UInt8] {
        let old = inode.synced
        let new = inode.data
        if old == new { return old }
        let length: Int
        switch Int.random(in: 0..<3, using: &random) {
        case 0: length = old.count
        case 1: length = new.count
        default: length = Int.random(in: min(old.count, new.count)...max(old.count, new.count), using: &random)
        }
        var image = Array(old.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - old.count))
        var sector = 0
        while sector < length {
            let end = min(sector + sectorSize, length)
            let newBytes = (sector..<end).map { $0 < new.count ? new[$0] : 0 }
            if Array(image[sector..<end]) != newBytes {
                switch Int.random(in: 0..<3, using: &random) {
                case 0: break  // the old sector stays
                case 1: image.replaceSubrange(sector..<end, with: newBytes)
                default:
                    let torn = Int.random(in: 0...(end - sector), using: &random)
                    image.replaceSubrange(sector..<(sector + torn), with: newBytes[..<torn])
                }
            }
            sector = end
        }
        return image
    }

    static func apply(_ operation: DirectoryOperation, to names: inout [String: Int]) {
        switch operation {
        case .link(let path, let inode): names[path] = inode
        case .unlink(let path): names.removeValue(forKey: path)
        case .rename(let from, let to):
            if let inode = names.removeValue(forKey: from) { names[to] = inode }
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "/" }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}

struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
