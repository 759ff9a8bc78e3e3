import { countEstablished } from '../../../../agent/traffic/proc-net-tcp';

// Lines as Linux writes them (trimmed after the inode): local and remote address as hex IP:PORT, then st.
const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1001
   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 1002
   2: 0100007F:0BB8 0100007F:D432 01 00000000:00000000 00:00000000 00000000  1000        0 1003
   3: 0100007F:D431 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000  1000        0 1004
   4: 0100007F:0BB8 0100007F:D433 06 00000000:00000000 00:00000000 00000000  1000        0 1005
   5: 0100007F:0BB8 0100007F:D434 08 00000000:00000000 00:00000000 00000000  1000        0 1006
`;
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:0BB8 0000000000000000FFFF00000100007F:E001 01 00000000:00000000 00:00000000 00000000  1000        0 2001
`;

describe('countEstablished', () => {
  it('counts ESTABLISHED sockets whose local port is the app port (3000 = 0x0BB8)', () => {
    // Not the listener (0A), not the client side of a loopback connection (remote port 3000),
    // not TIME_WAIT (06) nor CLOSE_WAIT (08).
    expect(countEstablished(tcp, 3000)).toBe(2);
    expect(countEstablished(tcp6, 3000)).toBe(1);
  });

  it('finds nothing on another port, in a header-only or empty table', () => {
    expect(countEstablished(tcp, 3001)).toBe(0);
    expect(countEstablished(tcp.split('\n')[0] ?? '', 3000)).toBe(0);
    expect(countEstablished('', 3000)).toBe(0);
  });
});
