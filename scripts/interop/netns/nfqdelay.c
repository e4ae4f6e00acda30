/* nfqdelay - userspace substitute for `tc qdisc ... netem delay D loss L`
 * (this kernel is built without CONFIG_NET_SCH_NETEM).
 *
 * An iptables NFQUEUE rule sends packets to queue <q>; this program holds each
 * packet for <delay_ms> (+ uniform jitter) then ACCEPTs it, or DROPs it with
 * probability <loss_pct>/100.  Runs for <seconds> then exits (bounded).
 *
 *   gcc -O2 -o nfqdelay nfqdelay.c -lnetfilter_queue
 *   ip netns exec nsa iptables-legacy -A OUTPUT -o veth-a -j NFQUEUE --queue-num 0 --queue-bypass
 *   ip netns exec nsa ./nfqdelay 0 50 10 20 60   # q=0 delay=50ms jitter=10ms loss=20% 60s
 * (nft "queue" needs CONFIG_NFT_QUEUE, absent on the test kernel, hence
 * iptables-legacy.) Without --queue-bypass, queued packets are DROPPED while
 * nfqdelay is not running. Packets leave in arrival order (no reordering).
 * Used by impaired-link.sh and internal/interop's ImpairedLink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include <sys/select.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAXHELD 65536
struct held { uint32_t id; double due; };
static struct held ring[MAXHELD];
static unsigned head, tail;                  /* FIFO ordered by arrival */
static double delay_s, jitter_s, loss_p;
static unsigned long n_seen, n_drop, n_ovf;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int cb(struct nfq_q_handle *qh, struct nfgenmsg *m, struct nfq_data *nfa, void *data) {
    (void)m; (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    uint32_t id = ph ? ntohl(ph->packet_id) : 0;
    n_seen++;
    if (loss_p > 0 && drand48() < loss_p) { n_drop++; return nfq_set_verdict(qh, id, NF_DROP, 0, NULL); }
    if (head - tail >= MAXHELD) { n_ovf++; return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL); }
    double d = delay_s + (jitter_s > 0 ? drand48() * jitter_s : 0);
    ring[head % MAXHELD].id = id; ring[head % MAXHELD].due = now() + d; head++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: %s queue delay_ms jitter_ms loss_pct seconds\n", argv[0]); return 2; }
    int qnum = atoi(argv[1]); delay_s = atof(argv[2]) / 1000; jitter_s = atof(argv[3]) / 1000;
    loss_p = atof(argv[4]) / 100; double end = now() + atof(argv[5]);
    srand48(time(NULL) ^ getpid());
    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, qnum, &cb, NULL);
    if (!qh) { perror("nfq_create_queue"); return 1; }
    nfq_set_mode(qh, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(qh, 8192);
    int fd = nfq_fd(h);
    char buf[65536] __attribute__((aligned));
    fprintf(stderr, "nfqdelay: queue=%d delay=%.0fms jitter=%.0fms loss=%.0f%%\n", qnum, delay_s*1e3, jitter_s*1e3, loss_p*100);
    int draining = 0;
    for (;;) {
        double t = now();
        while (tail != head && (ring[tail % MAXHELD].due <= t || draining)) {   /* release due packets */
            nfq_set_verdict(qh, ring[tail % MAXHELD].id, NF_ACCEPT, 0, NULL); tail++;
        }
        if (draining) break;
        if (t >= end) { draining = 1; continue; }
        double wait = end - t;
        if (tail != head && ring[tail % MAXHELD].due - t < wait) wait = ring[tail % MAXHELD].due - t;
        if (wait < 0) wait = 0;
        struct timeval tv = { (time_t)wait, (suseconds_t)((wait - (time_t)wait) * 1e6) };
        fd_set rf; FD_ZERO(&rf); FD_SET(fd, &rf);
        int r = select(fd + 1, &rf, NULL, NULL, &tv);
        if (r > 0) {
            int n = recv(fd, buf, sizeof buf, 0);
            if (n >= 0) nfq_handle_packet(h, buf, n);
            else if (errno != ENOBUFS && errno != EINTR) { perror("recv"); break; }
        }
    }
    fprintf(stderr, "nfqdelay: done packets=%lu dropped=%lu overflow=%lu\n", n_seen, n_drop, n_ovf);
    nfq_destroy_queue(qh); nfq_close(h);
    return 0;
}
