// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Hitch adjudicator: two-party payment channels between a rider (payer) and a driver (payee)
/// @notice The rider deposits; both sign EIP-712 `ChannelState`s off chain; the contract settles the
/// latest co-signed state, either at once (both sign a final state) or after a challenge period.
/// @dev Money rules:
///  - a state may allocate at most the deposit (`balanceRider + balanceDriver <= deposit`); whatever a
///    state leaves unallocated (top-ups it predates) goes back to the rider. Demanding an exact sum
///    would let a rider top up one wei and so invalidate every state the driver holds.
///  - a co-operative close needs a state with `nonce == FINAL_NONCE`: both parties sign that only to
///    end the channel, so neither can cash an older intermediate state without the challenge period.
///    A node never signs another state of a channel once it signed its final state; still, a final
///    state cannot end a close in progress (`ChannelClosing`): the close's state may be newer than
///    the final state (one collected early, then kept), and only the challenge decides.
///  - payouts are pushed with bounded gas and no return data copied; a receiver that refuses ether,
///    or burns the gas it is given, gets the amount credited for `withdraw()`, so one party can
///    neither lock the other's money nor make the other's finalize expensive.
contract Adjudicator {
    struct ChannelState {
        bytes32 channelId;
        uint64 nonce;
        uint256 balanceRider;
        uint256 balanceDriver;
        bytes32 tripRecordHash;
    }

    enum Status {
        None,
        Open,
        Closing,
        Finalized
    }

    struct Channel {
        address rider;
        uint64 closesAt;
        address driver;
        uint64 nonce;
        Status status;
        uint256 deposit;
        uint256 balanceDriver;
        bytes32 tripRecordHash;
    }

    /// @notice The nonce of the state both parties sign to close co-operatively.
    uint64 public constant FINAL_NONCE = type(uint64).max;

    bytes32 public constant CHANNEL_STATE_TYPEHASH = keccak256(
        "ChannelState(bytes32 channelId,uint64 nonce,uint256 balanceRider,uint256 balanceDriver,bytes32 tripRecordHash)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("Hitch");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev secp256k1n / 2: a larger s is the malleable twin of a valid signature (EIP-2).
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice Gas forwarded with a pushed payout: enough for a smart-contract wallet's `receive`.
    uint256 public constant PAYOUT_GAS = 30_000;

    /// @notice Seconds between a unilateral close and the moment it can be finalized.
    uint64 public immutable challengePeriod;
    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomainSeparator;

    mapping(bytes32 => Channel) private channels;
    /// @dev per (rider, driver): how many channels of the pair were settled; part of the channel id.
    mapping(bytes32 => uint256) private generations;
    /// @notice Payouts a receiver refused, claimable with `withdraw()`.
    mapping(address => uint256) public owed;

    bool private transient locked;

    event Opened(bytes32 indexed channelId, address indexed rider, address indexed driver, uint256 deposit);
    event ToppedUp(bytes32 indexed channelId, uint256 amount, uint256 deposit);
    event ClosedCooperatively(
        bytes32 indexed channelId, uint64 nonce, uint256 paidRider, uint256 paidDriver, bytes32 tripRecordHash
    );
    event CloseStarted(
        bytes32 indexed channelId,
        address indexed by,
        uint64 nonce,
        uint256 balanceRider,
        uint256 balanceDriver,
        bytes32 tripRecordHash,
        uint64 closesAt
    );
    event Challenged(
        bytes32 indexed channelId,
        address indexed by,
        uint64 nonce,
        uint256 balanceRider,
        uint256 balanceDriver,
        bytes32 tripRecordHash
    );
    event Finalized(
        bytes32 indexed channelId, uint64 nonce, uint256 paidRider, uint256 paidDriver, bytes32 tripRecordHash
    );
    event PayoutDeferred(address indexed to, uint256 amount);
    event Withdrawn(address indexed to, uint256 amount);

    error UnknownChannel(bytes32 channelId);
    error BadSignature();
    error SignerNotParticipant(address signer);
    error NotParticipant(address caller);
    error NotRider(address caller);
    error InvalidDriver();
    error ZeroDeposit();
    error StaleNonce(uint64 current, uint64 given);
    error BalanceMismatch(uint256 allocated, uint256 deposit);
    error NotFinalState(uint64 nonce);
    error AlreadyFinalized(bytes32 channelId);
    error AlreadyClosing(bytes32 channelId);
    error ChannelClosing(bytes32 channelId);
    error NotClosing(bytes32 channelId);
    error ChallengePeriodNotOver(uint64 closesAt);
    error ChallengePeriodOver(uint64 closesAt);
    error NothingToWithdraw();
    error TransferFailed();
    error InsufficientGas();
    error ReentrantCall();

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    constructor(uint64 challengePeriodSeconds) {
        challengePeriod = challengePeriodSeconds;
        cachedChainId = block.chainid;
        cachedDomainSeparator = _buildDomainSeparator();
    }

    // ---------------------------------------------------------------- deposits

    /// @notice Opens the sender's channel with `driver`, or adds to its deposit if it is open.
    function open(address driver) external payable nonReentrant returns (bytes32 channelId) {
        if (driver == address(0) || driver == msg.sender) revert InvalidDriver();
        if (msg.value == 0) revert ZeroDeposit();
        channelId = channelIdFor(msg.sender, driver);
        Channel storage c = channels[channelId];
        if (c.status == Status.None) {
            c.rider = msg.sender;
            c.driver = driver;
            c.status = Status.Open;
            c.deposit = msg.value;
            emit Opened(channelId, msg.sender, driver, msg.value);
        } else {
            _addDeposit(channelId, c);
        }
    }

    /// @notice Adds the sent value to an open channel's deposit (rider only, refused while closing).
    function topUp(bytes32 channelId) external payable nonReentrant {
        if (msg.value == 0) revert ZeroDeposit();
        Channel storage c = channels[channelId];
        if (c.status == Status.None) revert UnknownChannel(channelId);
        if (msg.sender != c.rider) revert NotRider(msg.sender);
        _addDeposit(channelId, c);
    }

    function _addDeposit(bytes32 channelId, Channel storage c) private {
        // the current generation's channel is never Finalized: settling bumps the generation
        if (c.status == Status.Finalized) revert AlreadyFinalized(channelId);
        if (c.status == Status.Closing) revert ChannelClosing(channelId);
        c.deposit += msg.value;
        emit ToppedUp(channelId, msg.value, c.deposit);
    }

    // ---------------------------------------------------------------- closing

    /// @notice Pays out a state both parties signed with `nonce == FINAL_NONCE`, at once.
    function closeCooperative(ChannelState calldata state, bytes calldata sigRider, bytes calldata sigDriver)
        external
        nonReentrant
    {
        Channel storage c = _live(state.channelId);
        _onlyParticipant(c);
        if (state.nonce != FINAL_NONCE) revert NotFinalState(state.nonce);
        if (c.status == Status.Closing) revert ChannelClosing(state.channelId);
        _checkBalances(c, state);
        _checkSignatures(c, state, sigRider, sigDriver);

        uint256 deposit = c.deposit;
        uint256 toDriver = state.balanceDriver;
        // the settled state lives in the event only: storing it would cost ~45k gas for nobody
        _settle(c);
        emit ClosedCooperatively(state.channelId, state.nonce, deposit - toDriver, toDriver, state.tripRecordHash);

        _pay(c.rider, deposit - toDriver);
        _pay(c.driver, toDriver);
    }

    /// @notice Starts the challenge period with the latest co-signed state. A state with nonce 0 and
    /// no signatures at all is accepted as the refund of the whole deposit to the rider.
    function closeUnilateral(ChannelState calldata state, bytes calldata sigRider, bytes calldata sigDriver)
        external
        nonReentrant
    {
        Channel storage c = _live(state.channelId);
        if (c.status == Status.Closing) revert AlreadyClosing(state.channelId);
        _onlyParticipant(c);
        _checkBalances(c, state);
        bool refund = state.nonce == 0 && sigRider.length == 0 && sigDriver.length == 0;
        if (refund) {
            if (state.balanceDriver != 0) revert BadSignature();
        } else {
            _checkSignatures(c, state, sigRider, sigDriver);
        }

        uint64 closesAt = uint64(block.timestamp) + challengePeriod;
        c.status = Status.Closing;
        c.closesAt = closesAt;
        c.nonce = state.nonce;
        c.balanceDriver = state.balanceDriver;
        c.tripRecordHash = state.tripRecordHash;
        emit CloseStarted(
            state.channelId,
            msg.sender,
            state.nonce,
            state.balanceRider,
            state.balanceDriver,
            state.tripRecordHash,
            closesAt
        );
    }

    /// @notice Replaces a pending close with a co-signed state of strictly higher nonce.
    function challenge(ChannelState calldata state, bytes calldata sigRider, bytes calldata sigDriver)
        external
        nonReentrant
    {
        Channel storage c = _live(state.channelId);
        if (c.status != Status.Closing) revert NotClosing(state.channelId);
        if (block.timestamp >= c.closesAt) revert ChallengePeriodOver(c.closesAt);
        _onlyParticipant(c);
        if (state.nonce <= c.nonce) revert StaleNonce(c.nonce, state.nonce);
        _checkBalances(c, state);
        _checkSignatures(c, state, sigRider, sigDriver);

        c.nonce = state.nonce;
        c.balanceDriver = state.balanceDriver;
        c.tripRecordHash = state.tripRecordHash;
        emit Challenged(
            state.channelId, msg.sender, state.nonce, state.balanceRider, state.balanceDriver, state.tripRecordHash
        );
    }

    /// @notice Pays out a pending close once its challenge period is over. Anyone may call it.
    function finalize(bytes32 channelId) external nonReentrant {
        Channel storage c = _live(channelId);
        if (c.status != Status.Closing) revert NotClosing(channelId);
        if (block.timestamp < c.closesAt) revert ChallengePeriodNotOver(c.closesAt);

        uint256 deposit = c.deposit;
        uint256 toDriver = c.balanceDriver;
        _settle(c);
        emit Finalized(channelId, c.nonce, deposit - toDriver, toDriver, c.tripRecordHash);

        _pay(c.rider, deposit - toDriver);
        _pay(c.driver, toDriver);
    }

    /// @notice Claims payouts that were credited because the sender refused them.
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    // ---------------------------------------------------------------- views

    /// @notice The id the next `open(driver)` by `rider` uses: the pair's current channel.
    function channelIdFor(address rider, address driver) public view returns (bytes32) {
        uint256 generation = generations[_pairKey(rider, driver)];
        return keccak256(abi.encode(rider, driver, address(this), block.chainid, generation));
    }

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return channels[channelId];
    }

    function domainSeparator() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The EIP-712 digest the parties sign for `state`.
    function hashState(ChannelState calldata state) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                CHANNEL_STATE_TYPEHASH,
                state.channelId,
                state.nonce,
                state.balanceRider,
                state.balanceDriver,
                state.tripRecordHash
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    // ---------------------------------------------------------------- internals

    function _live(bytes32 channelId) private view returns (Channel storage c) {
        c = channels[channelId];
        if (c.status == Status.None) revert UnknownChannel(channelId);
        if (c.status == Status.Finalized) revert AlreadyFinalized(channelId);
    }

    function _onlyParticipant(Channel storage c) private view {
        if (msg.sender != c.rider && msg.sender != c.driver) revert NotParticipant(msg.sender);
    }

    function _checkBalances(Channel storage c, ChannelState calldata state) private view {
        // a sum that overflows allocates more than any deposit: report it as the largest amount
        (bool fits, uint256 allocated) = _tryAdd(state.balanceRider, state.balanceDriver);
        if (!fits) revert BalanceMismatch(type(uint256).max, c.deposit);
        if (allocated > c.deposit) revert BalanceMismatch(allocated, c.deposit);
    }

    function _tryAdd(uint256 a, uint256 b) private pure returns (bool, uint256) {
        unchecked {
            uint256 sum = a + b;
            return (sum >= a, sum);
        }
    }

    function _checkSignatures(
        Channel storage c,
        ChannelState calldata state,
        bytes calldata sigRider,
        bytes calldata sigDriver
    ) private view {
        bytes32 digest = hashState(state);
        address r = _recover(digest, sigRider);
        if (r != c.rider) revert SignerNotParticipant(r);
        address d = _recover(digest, sigDriver);
        if (d != c.driver) revert SignerNotParticipant(d);
    }

    /// @dev Effects of settling: the channel is done and the pair may open a fresh one.
    function _settle(Channel storage c) private {
        c.status = Status.Finalized;
        generations[_pairKey(c.rider, c.driver)] += 1;
    }

    function _pay(address to, uint256 amount) private {
        if (amount == 0) return;
        // a caller that leaves too little gas would starve the payout into a deferral: refuse, so
        // that gas estimation (and any caller) provides the whole PAYOUT_GAS (EIP-150: 63/64 of it)
        if (gasleft() < PAYOUT_GAS + PAYOUT_GAS / 63 + 5_000) revert InsufficientGas();
        bool ok;
        // bounded gas, and no copy of whatever the receiver returns (a return-data bomb)
        assembly {
            ok := call(PAYOUT_GAS, to, amount, 0, 0, 0, 0)
        }
        if (!ok) {
            owed[to] += amount;
            emit PayoutDeferred(to, amount);
        }
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address signer) {
        if (sig.length != 65) revert BadSignature();
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (uint256(s) > HALF_N) revert BadSignature();
        if (v != 27 && v != 28) revert BadSignature();
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert BadSignature();
    }

    function _pairKey(address rider, address driver) private pure returns (bytes32) {
        return keccak256(abi.encode(rider, driver));
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }
}
