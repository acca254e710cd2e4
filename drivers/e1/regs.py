"""PEF2256 (FALC56) register map: addresses and bits used by driver and simulator.

Values from the Linux ``pef2256-regs.h`` / DAHDI wct4xxp usage collected in
``docs/reference/chips.md#registers-used``. Bits marked ``(sim)`` were not
confirmed against the datasheet; the simulator defines them and the driver uses
the same names, so only this file changes if the datasheet says otherwise.
"""
from __future__ import annotations

FIFO = 0x00      # RFIFO (read) / XFIFO (write) window; bursts do not increment
CMDR = 0x02
MODE = 0x03
CCR1 = 0x09
CCR2 = 0x0A
RTR1 = 0x0C      # RTR1-4 0x0C-0x0F: HDLC receive timeslot select
TTR1 = 0x10      # TTR1-4 0x10-0x13: HDLC transmit timeslot select
IMR0 = 0x14      # IMR0-5 0x14-0x19, 1 = masked
IMR1, IMR2, IMR3, IMR4, IMR5 = 0x15, 0x16, 0x17, 0x18, 0x19
IERR = 0x1B
FMR0 = 0x1C
FMR1 = 0x1D
FMR2 = 0x1E
XSW = 0x20
XSP = 0x21
RC0 = 0x24
LIM0 = 0x36
LIM1 = 0x37
PCD = 0x38
PCR = 0x39
LIM2 = 0x3A
CMR1 = 0x44
CMR2 = 0x45
GCR = 0x46
VSTR = 0x4A
FRS0 = 0x4C
FRS1 = 0x4D
FECL, FECH = 0x50, 0x51      # framing (FAS) error counter
CVCL, CVCH = 0x52, 0x53      # code (bipolar) violation counter
CEC1L, CEC1H = 0x54, 0x55    # CRC-4 error counter
EBCL, EBCH = 0x56, 0x57      # E-bit (far-end block) error counter
BECL, BECH = 0x58, 0x59      # bit error counter (PRBS)
COECL, COECH = 0x5A, 0x5B    # change-of-frame-alignment counter
SIS = 0x64
RSIS = 0x65
RBCL = 0x66
RBCH = 0x67
ISR0 = 0x68      # ISR0-5 0x68-0x6D, clear on read
GIS = 0x6E
XS1 = 0x70       # (sim) XS1-16 write / RS1-16 read 0x70-0x7F: CAS multiframe of TS16
RS1 = 0x70
GCM1 = 0x92      # GCM1-8 0x92-0x99
WID = 0xEC

# CMDR
CMDR_RMC, CMDR_RRES, CMDR_XREP, CMDR_XRES = 0x80, 0x40, 0x20, 0x10
CMDR_XHF, CMDR_XTF, CMDR_XME, CMDR_SRES = 0x08, 0x04, 0x02, 0x01
# MODE
MODE_MDS = 0x80
MODE_HRAC = 0x08
# CCR1 / CCR2
CCR1_EITS, CCR1_ITF = 0x10, 0x08
CCR2_RADD, CCR2_RCRC = 0x10, 0x04
# IERR one-shot defect insertion
IERR_IBV, IERR_IPE, IERR_ICASE, IERR_ICRCE, IERR_IMFE, IERR_IFASE = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
# FMR0
FMR0_HDB3 = 0xF0
FMR0_AMI = 0xA0
FMR0_SIM = 0x01
# FMR1
FMR1_XFS, FMR1_ECM = 0x08, 0x04
FMR1_E1_BASE = 0x44
# FMR2
FMR2_RFS_MASK = 0xC0
FMR2_RFS_DOUBLEFRAME, FMR2_RFS_CRC4, FMR2_RFS_AUTO = 0x00, 0x80, 0xC0
FMR2_PLB, FMR2_AXRA = 0x04, 0x02
# XSW / XSP
XSW_XSIS, XSW_XTM, XSW_XRA = 0x80, 0x40, 0x20
XSP_CASEN = 0x40  # (sim) CAS multiframe on TS16; DAHDI adds 0x40 to XSP for CAS
# RC0
RC0_SWD, RC0_ASY4 = 0x80, 0x40
# LIM0 / LIM1 / LIM2
LIM0_MAS, LIM0_LL = 0x01, 0x02
LIM1_RL = 0x02
LIM2_SLT50, LIM2_ELT = 0x20, 0x04
# GCR
GCR_VIS, GCR_SCI, GCR_ECMC = 0x80, 0x40, 0x10   # VIS (sim): masked bits visible in ISR
# FRS0 / FRS1
FRS0_LOS, FRS0_AIS, FRS0_LFA, FRS0_RRA, FRS0_NMF, FRS0_LMFA = 0x80, 0x40, 0x20, 0x10, 0x04, 0x02
FRS1_XLS, FRS1_XLO = 0x02, 0x01
# SIS / RSIS
SIS_XFW, SIS_CEC = 0x40, 0x04
RSIS_VFR, RSIS_RDO, RSIS_CRC16, RSIS_RAB = 0x80, 0x40, 0x20, 0x10
# ISR0
ISR0_RME, ISR0_CASC, ISR0_RPF = 0x80, 0x08, 0x01
# ISR1
ISR1_RDO, ISR1_ALLS, ISR1_XDU, ISR1_XPR = 0x40, 0x20, 0x10, 0x01   # RDO (sim)
# ISR2 (only AIS and LOS confirmed; the others are (sim))
ISR2_FAR, ISR2_LFA, ISR2_MFAR = 0x80, 0x40, 0x20
ISR2_AIS, ISR2_LOS, ISR2_RAR, ISR2_RA = 0x08, 0x04, 0x02, 0x01
# ISR3
ISR3_ES, ISR3_SEC, ISR3_RSN, ISR3_RSP = 0x80, 0x40, 0x02, 0x01

# SPI framing (sim): [command, address, data...]; command bit 7 = read.
SPI_READ = 0x80
SPI_WRITE = 0x00

HDLC_FIFO_BLOCK = 32
CAS_MF_IDLE = 0x0B     # TS16 of frame 0: MFAS 0000, then X Y X X with X = 1, Y = 0 (no remote MF alarm)
