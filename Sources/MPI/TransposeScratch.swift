/// The send and receive buffers of `Communicator.transpose`, kept by the communicator and grown to the
/// largest exchange seen, so that the transposes of every distributed SHT over one communicator (two per
/// SFNO block, each pass) share one pair of buffers instead of allocating two per call. Not synchronised:
/// collectives on one communicator come from one thread.
final class TransposeScratch: @unchecked Sendable {
    private var send: UnsafeMutableRawPointer?
    private var receive: UnsafeMutableRawPointer?
    private var sendCapacity = 0
    private var receiveCapacity = 0
    /// 64-byte lines: every element type's alignment, and no line shared with other data.
    private static let alignment = 64

    /// Buffers of at least the given sizes (contents undefined); valid until the next call.
    func buffers(sendBytes: Int, receiveBytes: Int) -> (send: UnsafeMutableRawPointer, receive: UnsafeMutableRawPointer) {
        if send == nil || sendBytes > sendCapacity { Self.grow(&send, &sendCapacity, to: sendBytes) }
        if receive == nil || receiveBytes > receiveCapacity { Self.grow(&receive, &receiveCapacity, to: receiveBytes) }
        return (send!, receive!)
    }

    /// Bytes held (both buffers).
    var bytes: Int { sendCapacity + receiveCapacity }

    private static func grow(_ pointer: inout UnsafeMutableRawPointer?, _ capacity: inout Int, to bytes: Int) {
        pointer?.deallocate()
        capacity = max(bytes, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: alignment)
    }

    deinit {
        send?.deallocate()
        receive?.deallocate()
    }
}
