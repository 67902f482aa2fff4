/* SPDX-License-Identifier: MIT */
/*
 * e1000_regs.h - registers and bits of the Intel 8254x / 82574 family used by e1kd.
 *
 * Sources: "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual" (8254x SDM, rev 4.0), chapter 13 (registers) and chapter 3 (descriptors);
 * "82574 GbE Controller Datasheet" (rev 3.x), chapter 10.  Section numbers below
 * refer to the 8254x SDM unless marked [82574].
 *
 * Access kinds: RW read/write, RO read-only, WO write-only, RC read-to-clear,
 * W1C write-one-to-clear, SC self-clearing.
 *
 * No raw offsets or bit values appear in .c files: name them here first.
 */
#ifndef E1K_E1000_REGS_H
#define E1K_E1000_REGS_H

#include <stdint.h>

/* ---- PCI identity (SDM 5.1, 82574 9.3) ---- */
#define E1000_VENDOR_INTEL      0x8086u
#define E1000_DEV_82540EM       0x100eu  /* QEMU "e1000" */
#define E1000_DEV_82545EM       0x100fu
#define E1000_DEV_82574L        0x10d3u  /* QEMU "e1000e" */

/* ---- PCI configuration space (PCI 3.0 6.2, SDM 4.1) ---- */
#define PCI_CFG_VENDOR_ID       0x00u    /* RO 16 */
#define PCI_CFG_DEVICE_ID       0x02u    /* RO 16 */
#define PCI_CFG_COMMAND         0x04u    /* RW 16 */
#define PCI_CFG_CMD_IO          (1u << 0)
#define PCI_CFG_CMD_MEMORY      (1u << 1)  /* memory space decoding */
#define PCI_CFG_CMD_MASTER      (1u << 2)  /* bus master: device may DMA */
#define PCI_CFG_CMD_INTX_DIS    (1u << 10)
#define PCI_CFG_STATUS          0x06u    /* RO/W1C 16 */
#define PCI_CFG_STATUS_CAPLIST  (1u << 4)
#define PCI_CFG_REVISION        0x08u
#define PCI_CFG_BAR0            0x10u
#define PCI_CFG_SUBSYS_VENDOR   0x2cu
#define PCI_CFG_SUBSYS_ID       0x2eu
#define PCI_CFG_CAP_PTR         0x34u
#define PCI_CFG_INT_LINE        0x3cu
#define PCI_CFG_INT_PIN         0x3du
#define PCI_CFG_SIZE            256u

#define PCI_CAP_ID_PM           0x01u
#define PCI_CAP_ID_MSI          0x05u
#define PCI_CAP_ID_EXP          0x10u
#define PCI_CAP_ID_MSIX         0x11u
/* Power-management capability (PCI PM 1.2 3.2): PMCSR at cap + 4. */
#define PCI_PM_CTRL             4u
#define PCI_PM_CTRL_STATE_MASK  0x0003u  /* D0..D3hot */
#define PCI_PM_STATE_D0         0u
#define PCI_PM_STATE_D3HOT      3u
#define PCI_PM_CTRL_PME_ENABLE  0x0100u
#define PCI_PM_CTRL_PME_STATUS  0x8000u  /* W1C */

/* ---- General registers (SDM 13.4) ---- */
#define E1000_CTRL      0x00000u  /* RW  device control, 13.4.1 */
#define E1000_STATUS    0x00008u  /* RO  device status, 13.4.2 */
#define E1000_EECD      0x00010u  /* RW  EEPROM/flash control, 13.4.3 */
#define E1000_EERD      0x00014u  /* RW  EEPROM read, 13.4.4 */
#define E1000_CTRL_EXT  0x00018u  /* RW  extended control, 13.4.6 */
#define E1000_MDIC      0x00020u  /* RW  MDI control, 13.4.7 */
#define E1000_FCAL      0x00028u  /* RW  flow control address low */
#define E1000_FCAH      0x0002cu  /* RW  flow control address high */
#define E1000_FCT       0x00030u  /* RW  flow control type */
#define E1000_FCTTV     0x00170u  /* RW  flow control transmit timer */

/* CTRL bits (13.4.1) */
#define E1000_CTRL_FD        (1u << 0)   /* full duplex */
#define E1000_CTRL_LRST      (1u << 3)   /* link reset */
#define E1000_CTRL_ASDE      (1u << 5)   /* auto-speed detection enable */
#define E1000_CTRL_SLU       (1u << 6)   /* set link up */
#define E1000_CTRL_ILOS      (1u << 7)   /* invert loss of signal */
#define E1000_CTRL_RST       (1u << 26)  /* SC device reset */
#define E1000_CTRL_VME       (1u << 30)  /* VLAN mode enable */
#define E1000_CTRL_PHY_RST   (1u << 31)  /* PHY reset */

/* STATUS bits (13.4.2) */
#define E1000_STATUS_FD          (1u << 0)
#define E1000_STATUS_LU          (1u << 1)   /* link up */
#define E1000_STATUS_TXOFF       (1u << 4)
#define E1000_STATUS_SPEED_SHIFT 6
#define E1000_STATUS_SPEED_MASK  (3u << 6)
#define E1000_STATUS_SPEED_10    (0u << 6)
#define E1000_STATUS_SPEED_100   (1u << 6)
#define E1000_STATUS_SPEED_1000  (2u << 6)

/* EERD (13.4.4; [82574] 10.2.2.3 uses a different layout) */
#define E1000_EERD_START            (1u << 0)
#define E1000_EERD_DONE_8254X       (1u << 4)
#define E1000_EERD_ADDR_SHIFT_8254X 8
#define E1000_EERD_DONE_82574       (1u << 1)
#define E1000_EERD_ADDR_SHIFT_82574 2
#define E1000_EERD_DATA_SHIFT       16
/* EEPROM word map (SDM 5.6): words 0..2 hold the Ethernet address. */
#define E1000_EEPROM_MAC_WORD0      0x00u
#define E1000_EEPROM_CHECKSUM_WORD  0x3fu
#define E1000_EEPROM_SUM            0xbabau  /* words 0x00..0x3f sum to this */
#define E1000_EEPROM_WORDS          64u

/* ---- Interrupt registers (13.4.17-13.4.21) ---- */
#define E1000_ICR   0x000c0u  /* RC  interrupt cause read ([82574] MSI-X: also W1C, irq/isr.c) */
#define E1000_ITR   0x000c4u  /* RW  interrupt throttling, 256 ns units */
#define E1000_ICS   0x000c8u  /* WO  interrupt cause set */
#define E1000_IMS   0x000d0u  /* RW  interrupt mask set (read returns the mask) */
#define E1000_IMC   0x000d8u  /* WO  interrupt mask clear */
#define E1000_IAM   0x000e0u  /* RW  [82574] interrupt acknowledge auto-mask */
#define E1000_IVAR  0x000e4u  /* RW  [82574] interrupt vector allocation, 10.2.4.9 */
#define E1000_EIAC  0x000dcu  /* RW  [82574] extended interrupt auto clear */
/* [82574] EITR 0-4: one throttling interval per MSI-X vector, in ITR's
 * 256 ns units; used instead of ITR while MSI-X is on (INTx and MSI use ITR). */
#define E1000_EITR(n) (0x000e8u + 4u * (n))

/* ICR/ICS/IMS/IMC cause bits (13.4.17) */
#define E1000_ICR_TXDW    (1u << 0)   /* transmit descriptor written back */
#define E1000_ICR_TXQE    (1u << 1)   /* transmit queue empty */
#define E1000_ICR_LSC     (1u << 2)   /* link status change */
#define E1000_ICR_RXSEQ   (1u << 3)   /* receive sequence error */
#define E1000_ICR_RXDMT0  (1u << 4)   /* receive descriptor minimum threshold */
#define E1000_ICR_RXO     (1u << 6)   /* receiver overrun */
#define E1000_ICR_RXT0    (1u << 7)   /* receiver timer interrupt */
#define E1000_ICR_MDAC    (1u << 9)   /* MDI access complete */
#define E1000_ICR_TXD_LOW (1u << 15)
#define E1000_ICR_SRPD    (1u << 16)  /* small receive packet detected */
#define E1000_ICR_RXQ0    (1u << 20)  /* [82574] MSI-X RX queue 0 */
#define E1000_ICR_RXQ1    (1u << 21)  /* [82574] */
#define E1000_ICR_TXQ0    (1u << 22)  /* [82574] MSI-X TX queue 0 */
#define E1000_ICR_TXQ1    (1u << 23)  /* [82574] */
#define E1000_ICR_OTHER   (1u << 24)  /* [82574] MSI-X other causes */
#define E1000_ICR_INT_ASSERTED (1u << 31)  /* [82574] an enabled cause is pending */
#define E1000_IMS_ALL     0xffffffffu  /* written to IMC to mask everything */
/* Causes the 8254x implements (bits that can ever read back as set). */
#define E1000_ICR_VALID_8254X 0x0001f6dfu
#define E1000_ICR_VALID_82574 0x01f1f6dfu

/* IVAR [82574] 10.2.4.9: 4-bit fields {vector[2:0], valid[3]} */
#define E1000_IVAR_RXQ0_SHIFT   0
#define E1000_IVAR_RXQ1_SHIFT   4
#define E1000_IVAR_TXQ0_SHIFT   8
#define E1000_IVAR_TXQ1_SHIFT   12
#define E1000_IVAR_OTHER_SHIFT  16
#define E1000_IVAR_VALID        0x8u
#define E1000_IVAR_VECTOR_MASK  0x7u
#define E1000_IVAR_INT_ON_ALL_WB (1u << 31)
#define E1000_82574_MSIX_VECTORS 5u

/* ---- Receive (13.4.22-13.4.32) ---- */
#define E1000_RCTL   0x00100u  /* RW receive control */
#define E1000_RDBAL  0x02800u  /* RW RX descriptor base low (16-byte aligned) */
#define E1000_RDBAH  0x02804u  /* RW RX descriptor base high */
#define E1000_RDLEN  0x02808u  /* RW RX ring length in bytes (multiple of 128) */
#define E1000_RDH    0x02810u  /* RW RX head (device owned once enabled) */
#define E1000_RDT    0x02818u  /* RW RX tail (driver owned) */
#define E1000_RDTR   0x02820u  /* RW RX delay timer, 1.024 us units */
#define E1000_RXDCTL 0x02828u  /* RW RX descriptor control */
#define E1000_RADV   0x0282cu  /* RW RX absolute delay timer, 1.024 us units */
#define E1000_RSRPD  0x02c00u  /* RW small packet detect */
#define E1000_RXCSUM 0x05000u  /* RW RX checksum control (0: no offload) */
#define E1000_RFCTL  0x05008u  /* RW [82574] receive filter control, 10.2.5 */
#define E1000_MTA    0x05200u  /* RW multicast table array, 128 x 32 bits */
#define E1000_MTA_WORDS 128u
#define E1000_RAL(n) (0x05400u + 8u * (unsigned)(n))  /* RW receive address low */
#define E1000_RAH(n) (0x05404u + 8u * (unsigned)(n))  /* RW receive address high */
#define E1000_RAR_ENTRIES 16u
#define E1000_RAH_AV  (1u << 31)  /* address valid */

#define E1000_RDLEN_ALIGN 128u   /* RDLEN/TDLEN must be a multiple of 128 bytes */
#define E1000_RING_ALIGN  16u    /* descriptor base alignment */

/* RCTL bits (13.4.22) */
#define E1000_RCTL_EN        (1u << 1)   /* receiver enable */
#define E1000_RCTL_SBP       (1u << 2)   /* store bad packets */
#define E1000_RCTL_UPE       (1u << 3)   /* unicast promiscuous */
#define E1000_RCTL_MPE       (1u << 4)   /* multicast promiscuous */
#define E1000_RCTL_LPE       (1u << 5)   /* long packet enable */
#define E1000_RCTL_LBM_MASK  (3u << 6)   /* loopback mode */
#define E1000_RCTL_LBM_NONE  (0u << 6)   /* normal operation */
#define E1000_RCTL_LBM_MAC   (1u << 6)   /* MAC loopback: TX returns on RX inside the MAC */
#define E1000_RCTL_RDMTS_HALF (0u << 8)  /* RXDMT0 at 1/2 of ring free */
#define E1000_RCTL_MO_SHIFT  12          /* multicast offset (hash bits) */
#define E1000_RCTL_MO_MASK   (3u << 12)
#define E1000_RCTL_BAM       (1u << 15)  /* broadcast accept mode */
#define E1000_RCTL_BSIZE_MASK (3u << 16)
#define E1000_RCTL_BSIZE_2048 (0u << 16)
#define E1000_RCTL_BSIZE_1024 (1u << 16)
#define E1000_RCTL_BSIZE_512  (2u << 16)
#define E1000_RCTL_BSIZE_256  (3u << 16)
#define E1000_RCTL_VFE       (1u << 18)  /* VLAN filter enable */
#define E1000_RCTL_BSEX      (1u << 25)  /* buffer size extension (x16) */
#define E1000_RCTL_SECRC     (1u << 26)  /* strip Ethernet CRC */

/* RXCSUM bits (RX checksum control; PCSS in 7:0) */
#define E1000_RXCSUM_IPOFL   (1u << 8)   /* IP checksum offload */
#define E1000_RXCSUM_TUOFL   (1u << 9)   /* TCP/UDP checksum offload */

/* RFCTL bits [82574] 10.2.5 (Linux e1000e: E1000_RFCTL_EXTEN) */
#define E1000_RFCTL_EXSTEN   (1u << 15)  /* extended status: extended RX descriptors */

/* ---- Transmit (13.4.33-13.4.44) ---- */
#define E1000_TCTL   0x00400u  /* RW transmit control */
#define E1000_TIPG   0x00410u  /* RW transmit inter-packet gap */
#define E1000_TDBAL  0x03800u  /* RW TX descriptor base low */
#define E1000_TDBAH  0x03804u  /* RW TX descriptor base high */
#define E1000_TDLEN  0x03808u  /* RW TX ring length in bytes */
#define E1000_TDH    0x03810u  /* RW TX head */
#define E1000_TDT    0x03818u  /* RW TX tail */
#define E1000_TIDV   0x03820u  /* RW TX interrupt delay, 1.024 us units */
#define E1000_TXDCTL 0x03828u  /* RW TX descriptor control */
#define E1000_TADV   0x0382cu  /* RW TX absolute interrupt delay */

/* TCTL bits (13.4.33) */
#define E1000_TCTL_EN        (1u << 1)
#define E1000_TCTL_PSP       (1u << 3)   /* pad short packets */
#define E1000_TCTL_CT_SHIFT  4           /* collision threshold */
#define E1000_TCTL_COLD_SHIFT 12         /* collision distance */
#define E1000_TCTL_RTLC      (1u << 24)
#define E1000_TCTL_CT_DEFAULT   0x0fu
#define E1000_TCTL_COLD_FD      0x40u    /* full duplex */
/* TIPG recommended for copper (13.4.34): IPGT 10, IPGR1 8, IPGR2 6 */
#define E1000_TIPG_DEFAULT   (10u | (8u << 10) | (6u << 20))

/* ---- Wake-up (13.6) ---- */
#define E1000_WUC    0x05800u  /* RW wake-up control */
#define E1000_WUFC   0x05808u  /* RW wake-up filter control */
#define E1000_WUS    0x05810u  /* W1C wake-up status */
#define E1000_WUC_APME     (1u << 0)   /* APM enable */
#define E1000_WUC_PME_EN   (1u << 1)
#define E1000_WUC_PME_STATUS (1u << 2)
#define E1000_WUFC_LNKC    (1u << 0)   /* link status change */
#define E1000_WUFC_MAG     (1u << 1)   /* magic packet */
#define E1000_WUFC_EX      (1u << 2)   /* directed exact */
#define E1000_WUFC_MC      (1u << 3)   /* directed multicast */
#define E1000_WUFC_BC      (1u << 4)   /* broadcast */

/* ---- Statistics (13.7): all RC (clear on read) ---- */
#define E1000_CRCERRS 0x04000u  /* CRC errors */
#define E1000_MPC     0x04010u  /* missed packets (no descriptor) */
#define E1000_COLC    0x04028u  /* collisions */
#define E1000_RLEC    0x04040u  /* receive length errors */
#define E1000_GPRC    0x04074u  /* good packets received */
#define E1000_BPRC    0x04078u  /* broadcast packets received */
#define E1000_MPRC    0x0407cu  /* multicast packets received */
#define E1000_GPTC    0x04080u  /* good packets transmitted */
#define E1000_GORCL   0x04088u  /* good octets received, low (read low first) */
#define E1000_GORCH   0x0408cu
#define E1000_GOTCL   0x04090u  /* good octets transmitted, low */
#define E1000_GOTCH   0x04094u
#define E1000_RNBC    0x040a0u  /* receive no buffers */
#define E1000_RUC     0x040a4u  /* receive undersize */
#define E1000_ROC     0x040acu  /* receive oversize */
#define E1000_TORL    0x040c0u  /* total octets received */
#define E1000_TORH    0x040c4u
#define E1000_TOTL    0x040c8u  /* total octets transmitted */
#define E1000_TOTH    0x040ccu
#define E1000_TPR     0x040d0u  /* total packets received */
#define E1000_TPT     0x040d4u  /* total packets transmitted */
#define E1000_BPTC    0x040f4u  /* broadcast packets transmitted */
#define E1000_MPTC    0x040f0u  /* multicast packets transmitted */
#define E1000_STATS_FIRST 0x04000u
#define E1000_STATS_LAST  0x040fcu

/* Size of the BAR0 register window (SDM 13.2: 128 KiB). */
#define E1000_BAR0_SIZE 0x20000u

/* ---- Descriptors (SDM 3.2.3 receive, 3.3.3 legacy transmit) ---- */
struct e1000_rx_desc {
	uint64_t buffer_addr;   /* IOVA of the receive buffer */
	uint16_t length;        /* written back: bytes stored */
	uint16_t csum;          /* written back: packet checksum */
	uint8_t  status;        /* written back: E1000_RXD_STAT_* */
	uint8_t  errors;        /* written back: E1000_RXD_ERR_* */
	uint16_t special;
};

struct e1000_tx_desc {
	uint64_t buffer_addr;   /* IOVA of the data */
	uint16_t length;        /* bytes in this buffer */
	uint8_t  cso;           /* checksum offset */
	uint8_t  cmd;           /* E1000_TXD_CMD_* */
	uint8_t  status;        /* written back: E1000_TXD_STAT_* */
	uint8_t  css;           /* checksum start */
	uint16_t special;
};

_Static_assert(sizeof(struct e1000_rx_desc) == 16, "legacy RX descriptor is 16 bytes");
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "legacy TX descriptor is 16 bytes");

#define E1000_RXD_STAT_DD    0x01u  /* descriptor done */
#define E1000_RXD_STAT_EOP   0x02u  /* end of packet */
#define E1000_RXD_STAT_IXSM  0x04u  /* ignore checksum indication */
#define E1000_RXD_STAT_VP    0x08u  /* 802.1Q packet */
#define E1000_RXD_ERR_CE     0x01u  /* CRC or alignment error */
#define E1000_RXD_ERR_SE     0x02u  /* symbol error */
#define E1000_RXD_ERR_SEQ    0x04u  /* sequence error */
#define E1000_RXD_ERR_CXE    0x10u  /* carrier extension error */
#define E1000_RXD_ERR_TCPE   0x20u
#define E1000_RXD_ERR_IPE    0x40u
#define E1000_RXD_ERR_RXE    0x80u  /* RX data error */
#define E1000_RXD_ERR_FRAME  (E1000_RXD_ERR_CE | E1000_RXD_ERR_SE | \
                              E1000_RXD_ERR_SEQ | E1000_RXD_ERR_CXE | E1000_RXD_ERR_RXE)

#define E1000_TXD_CMD_EOP   0x01u  /* end of packet */
#define E1000_TXD_CMD_IFCS  0x02u  /* insert FCS */
#define E1000_TXD_CMD_IC    0x04u  /* insert checksum */
#define E1000_TXD_CMD_RS    0x08u  /* report status (write back DD) */
#define E1000_TXD_CMD_DEXT  0x20u  /* extended descriptor: not legacy */
#define E1000_TXD_CMD_IDE   0x80u  /* interrupt delay enable */
#define E1000_TXD_STAT_DD   0x01u  /* descriptor done */

/* Receive checksum status and errors (SDM 3.2.3.1; 82574L 7.1.4.1): valid
 * only when IXSM is clear, and only for what RXCSUM enables. */
#define E1000_RXD_STAT_UDPCS 0x10u  /* [82574] UDP checksum calculated */
#define E1000_RXD_STAT_TCPCS 0x20u  /* TCP (82574: or UDP) checksum calculated */
#define E1000_RXD_STAT_IPCS  0x40u  /* IPv4 header checksum calculated */

/* ---- TCP/IP context descriptor (SDM 3.3.6) and data descriptor (3.3.7) ----
 * Both are 16 bytes and share the ring with legacy descriptors; DEXT in the
 * command byte tells them apart from a legacy one, DTYP which of the two it
 * is.  A context descriptor loads the offload context (checksum offsets, and
 * for TSO the header length and MSS) that the following data descriptors use
 * until the next context descriptor. */
struct e1000_context_desc {
	uint8_t  ipcss;           /* IP checksum start (offset of the IP header) */
	uint8_t  ipcso;           /* IP checksum offset: where the checksum is stored */
	uint16_t ipcse;           /* IP checksum end, inclusive (0: to the packet's end) */
	uint8_t  tucss;           /* TCP/UDP checksum start */
	uint8_t  tucso;           /* TCP/UDP checksum offset */
	uint16_t tucse;           /* TCP/UDP checksum end, inclusive (0: to the end) */
	uint32_t cmd_and_length;  /* PAYLEN 19:0 (TSO payload), DTYP 23:20 = 0, TUCMD 31:24 */
	uint8_t  status;          /* written back: DD (when RS) */
	uint8_t  hdr_len;         /* TSO: bytes of header repeated in every segment */
	uint16_t mss;             /* TSO: payload bytes per segment */
};

struct e1000_data_desc {
	uint64_t buffer_addr;     /* IOVA of the data */
	uint32_t cmd_and_length;  /* DTALEN 19:0, DTYP 23:20 = 1, DCMD 31:24 */
	uint8_t  status;          /* written back: DD (bits 3:0) */
	uint8_t  popts;           /* first descriptor of a packet: E1000_TXD_POPTS_* */
	uint16_t special;
};

_Static_assert(sizeof(struct e1000_context_desc) == 16, "context descriptor is 16 bytes");
_Static_assert(sizeof(struct e1000_data_desc) == 16, "data descriptor is 16 bytes");

#define E1000_TXD_LEN_MASK      0x000fffffu  /* PAYLEN / DTALEN */
#define E1000_TXD_DTYP_C        0x00000000u  /* DTYP: context */
#define E1000_TXD_DTYP_D        0x00100000u  /* DTYP: data */
#define E1000_TXD_DTYP_MASK     0x00f00000u
#define E1000_TXD_CMD_SHIFT     24           /* TUCMD / DCMD: the top byte */
/* TUCMD (context): */
#define E1000_TXD_TUCMD_TCP     0x01u        /* TCP (else UDP) */
#define E1000_TXD_TUCMD_IP      0x02u        /* IPv4 (else IPv6): IP checksum, IP id per segment */
#define E1000_TXD_TUCMD_TSE     0x04u        /* TCP segmentation */
/* DCMD (data): EOP, IFCS, RS, DEXT and IDE as in the legacy command byte, and */
#define E1000_TXD_DCMD_TSE      0x04u        /* this packet uses the TSO context */
/* POPTS (data, first descriptor of a packet): */
#define E1000_TXD_POPTS_IXSM    0x01u        /* insert the IP checksum */
#define E1000_TXD_POPTS_TXSM    0x02u        /* insert the TCP/UDP checksum */

/* Frame sizes (802.3) */
#define E1000_ETH_ALEN        6u
#define E1000_ETH_HLEN        14u
#define E1000_ETH_ZLEN        60u    /* minimum frame without FCS */
#define E1000_ETH_FRAME_MAX   1514u  /* standard MTU 1500 + header, no FCS */
#define E1000_ETH_FCS_LEN     4u
#define E1000_JUMBO_FRAME_MAX 16128u /* largest the 8254x accepts with LPE (SDM 3.2.3) */
#define E1000_82574_JUMBO_FRAME_MAX 9234u /* 82574L: Linux e1000e's largest (9216 MTU) */

/* A read from a device that is gone (surprise removal, PCIe master abort)
 * returns all ones; ICR never reads all ones on a present device (bits 30..25
 * are reserved), so this value in ICR means "device may be gone". */
#define E1000_REG_ALL_ONES    0xffffffffu

/* ---- Additions for the software model (hal/sim*.c); append-only ---- */
/* PCI configuration header (PCI 3.0 6.2) */
#define PCI_CFG_PROG_IF         0x09u
#define PCI_CFG_SUBCLASS        0x0au
#define PCI_CFG_CLASS           0x0bu
#define PCI_CFG_HEADER_TYPE     0x0eu
#define PCI_CLASS_NETWORK       0x02u
#define PCI_SUBCLASS_ETHERNET   0x00u
#define PCI_CFG_CMD_PARITY      (1u << 6)
#define PCI_CFG_CMD_SERR        (1u << 8)
#define PCI_CFG_INT_PIN_INTA    1u
#define PCI_CFG_BAR_ADDR_MASK   0xfffffff0u  /* memory BAR: bits 3:0 are type bits */
#define PCI_CAP_NEXT            1u           /* capability header: id at +0, next at +1 */
/* PCI PM 1.2 3.2.3: PMC at cap + 2 */
#define PCI_PM_CAPS             2u
#define PCI_PM_CAPS_VERSION_1_2 0x0003u
#define PCI_PM_CAPS_PME_D0_D3HOT 0x4800u     /* PME from D0 and D3hot */
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008u    /* D3hot->D0 keeps the function state */
/* MSI (PCI 3.0 6.8.1): control at cap + 2 */
#define PCI_MSI_CTRL            2u
#define PCI_MSI_CTRL_ENABLE     0x0001u
#define PCI_MSI_CTRL_64BIT      0x0080u
#define PCI_MSI_ADDR_LO         4u
#define PCI_MSI_ADDR_HI         8u
#define PCI_MSI_DATA_64         12u
/* MSI-X (PCI 3.0 6.8.2): control at cap + 2, table/PBA offset+BIR at +4/+8 */
#define PCI_MSIX_CTRL           2u
#define PCI_MSIX_CTRL_ENABLE    0x8000u
#define PCI_MSIX_CTRL_MASKALL   0x4000u
#define PCI_MSIX_CTRL_QSIZE     0x07ffu      /* table size - 1 */
#define PCI_MSIX_TABLE          4u
#define PCI_MSIX_PBA            8u
#define E1000_82574_MSIX_BIR    3u           /* [82574] MSI-X table and PBA live in BAR3 */
#define E1000_82574_MSIX_PBA_OFFSET 0x2000u
/* PCI Express capability (PCIe 2.0 7.8): flags at +2, device capabilities at +4 */
#define PCI_EXP_FLAGS           2u
#define PCI_EXP_FLAGS_VERSION2  0x0002u      /* version 2, type 0 = endpoint */
#define PCI_EXP_DEVCAP          4u
#define PCI_EXP_DEVCAP_FLR      (1u << 28)

/* CTRL_EXT [82574] 10.2.2.5 */
#define E1000_CTRL_EXT_IAME     (1u << 27)   /* auto-mask on ICR read / MSI-X */

/* EECD (13.4.3): bit-banged EEPROM access is not modelled, only the handshake */
#define E1000_EECD_SK           (1u << 0)
#define E1000_EECD_CS           (1u << 1)
#define E1000_EECD_DI           (1u << 2)
#define E1000_EECD_DO           (1u << 3)    /* RO */
#define E1000_EECD_REQ          (1u << 6)    /* request EEPROM access */
#define E1000_EECD_GNT          (1u << 7)    /* RO access granted */
#define E1000_EECD_PRES         (1u << 8)    /* RO EEPROM present */
/* EERD address field widths */
#define E1000_EERD_ADDR_MASK_8254X  0xffu    /* bits 15:8 */
#define E1000_EERD_ADDR_MASK_82574  0x3fffu  /* [82574] bits 15:2 */
/* EEPROM words (SDM 5.6 table 5-2) */
#define E1000_EEPROM_INIT_CTRL1_WORD  0x0au
#define E1000_EEPROM_SUBSYS_ID_WORD   0x0bu
#define E1000_EEPROM_SUBSYS_VEND_WORD 0x0cu
#define E1000_EEPROM_DEVICE_ID_WORD   0x0du
#define E1000_EEPROM_VENDOR_ID_WORD   0x0eu

/* MDIC (13.4.7) and the PHY registers behind it (IEEE 802.3 clause 22) */
#define E1000_MDIC_DATA_MASK    0x0000ffffu
#define E1000_MDIC_REG_SHIFT    16
#define E1000_MDIC_REG_MASK     (0x1fu << 16)
#define E1000_MDIC_PHY_SHIFT    21
#define E1000_MDIC_PHY_MASK     (0x1fu << 21)
#define E1000_MDIC_OP_WRITE     (1u << 26)
#define E1000_MDIC_OP_READ      (2u << 26)
#define E1000_MDIC_READY        (1u << 28)
#define E1000_MDIC_INT_EN       (1u << 29)
#define E1000_MDIC_ERROR        (1u << 30)
#define E1000_PHY_ADDR          1u           /* the internal PHY answers at address 1 */
#define E1000_PHY_REGS          32u
#define E1000_PHY_CTRL          0u           /* BMCR */
#define E1000_PHY_STATUS        1u           /* BMSR */
#define E1000_PHY_ID1           2u
#define E1000_PHY_ID2           3u
#define E1000_PHY_CTRL_RESET    0x8000u      /* SC */
#define E1000_PHY_CTRL_ANEG_RESTART 0x0200u  /* SC */
#define E1000_PHY_CTRL_LOOPBACK 0x4000u      /* PHY loopback: TX returns on RX inside the PHY */
#define E1000_PHY_CTRL_FULL_DUPLEX 0x0100u
#define E1000_PHY_CTRL_SPEED_1000 0x0040u    /* speed select MSB (with bit 13 clear: 1000 Mb/s) */
#define E1000_PHY_CTRL_DEFAULT  0x1140u      /* autoneg enable, full duplex, 1000 Mb/s */
#define E1000_PHY_STATUS_LINK   0x0004u
#define E1000_PHY_STATUS_ANEG_DONE 0x0020u
#define E1000_PHY_STATUS_CAPS   0x7949u      /* 10/100 HD/FD, extended status, autoneg able */
#define E1000_PHY_ID_M88E1011   0x01410c20u  /* 82540EM's PHY */
#define E1000_PHY_ID_BME1000    0x01410cb0u  /* [82574] internal PHY */

/* Interrupts */
#define E1000_ICR_OTHER_CAUSES  (E1000_ICR_LSC | E1000_ICR_RXO | E1000_ICR_MDAC | E1000_ICR_SRPD)
#define E1000_ITR_INTERVAL_MASK 0x0000ffffu
#define E1000_ITR_UNIT_NS       256u
#define E1000_EIAC_MASK_82574   0x01f00000u  /* [82574] RXQ0..OTHER */
#define E1000_IVAR_MASK_82574   0x800fffffu  /* five 4-bit entries + INT_ON_ALL_WB */
#define E1000_IVAR_ENTRY_MASK   0xfu

/* Receive */
#define E1000_RCTL_RDMTS_SHIFT  8
#define E1000_RCTL_RDMTS_MASK   (3u << 8)
#define E1000_RCTL_BSIZE_SHIFT  16
#define E1000_RXBUF_BASE        2048u        /* BSIZE 00 without BSEX */
#define E1000_RCTL_BSEX_FACTOR  16u
/* MTA hash (13.4.22 MO): 12 bits of the destination address starting at bit
 * 36, 35, 34 or 32 of the address for MO 0..3. */
#define E1000_MTA_HASH_MASK     0xfffu
#define E1000_MTA_MO_SHIFT(mo)  ((mo) == 0u ? 4u : (mo) == 1u ? 3u : (mo) == 2u ? 2u : 0u)
#define E1000_MTA_WORD_SHIFT    5
#define E1000_MTA_BIT_MASK      0x1fu
#define E1000_RAH_ADDR_MASK     0x0000ffffu
#define E1000_RAH_ASEL_MASK     (3u << 16)
#define E1000_RDLEN_FIELD_MASK  0x000fffffu  /* bits 19:0 (6:0 must be zero) */
#define E1000_RING_INDEX_MASK   0x0000ffffu  /* RDH/RDT/TDH/TDT */
#define E1000_DELAY_MASK        0x0000ffffu  /* RDTR/RADV/TIDV/TADV */
#define E1000_ETH_VLAN_FRAME_MAX 1522u       /* longest frame without RCTL.LPE (no FCS) */
#define E1000_ETH_MCAST_BIT     0x01u        /* I/G bit of the first address octet */

/* RFCTL [82574]: bits 17:0 are defined (iSCSI/NFS/IPv6/ACK filter controls, EXSTEN) */
#define E1000_RFCTL_MASK_82574  0x0003ffffu
/* Extended receive descriptor [82574], used when RFCTL.EXSTEN is set (Linux
 * e1000e's union e1000_rx_desc_extended; QEMU's e1000e_write_ext_rx_descr).
 * Read format: buffer address at 0, 8 reserved bytes.  Write-back: MRQ at 0,
 * RSS hash or IP id + packet checksum at 4, extended status at 8 (the legacy
 * status bits in 7:0, the legacy error bits in 31:24), length at 12, VLAN at 14.
 * A driver that reads it as a legacy descriptor finds the low byte of the
 * length where it looks for DD. */
#define E1000_RXD_EXT_STATUS_OFF 8u
#define E1000_RXD_EXT_LENGTH_OFF 12u
#define E1000_RXD_EXT_VLAN_OFF   14u
#define E1000_RXD_EXT_ERR_SHIFT  24

#endif /* E1K_E1000_REGS_H */
