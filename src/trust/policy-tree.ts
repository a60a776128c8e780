/**
 * The RFC 5280 §6.1 valid_policy_tree: certificate policy processing
 * (§6.1.3 (d)-(f)), policy mapping (§6.1.4 (a)-(b)) and the final
 * intersection with the user-initial-policy-set (§6.1.5 (g)). The number of
 * nodes is capped so that hostile mapping chains cannot blow up (cf.
 * CVE-2023-0464).
 */
import { ANY_POLICY, type Certificate } from '../x509/index.js';

export interface PolicyNode {
  validPolicy: string;
  qualifiers?: Uint8Array;
  expectedPolicySet: Set<string>;
  parent?: PolicyNode;
  children: PolicyNode[];
  depth: number;
}

/** Raised (as a value) when the tree would exceed its node budget. */
export class PolicyTreeTooLarge extends Error {}

export class PolicyTree {
  /** Nodes by depth; `undefined` once the tree is NULL. */
  private levels: PolicyNode[][] | undefined;
  private count = 1;

  constructor(private readonly maxNodes = 2_000) {
    const root: PolicyNode = {
      validPolicy: ANY_POLICY,
      expectedPolicySet: new Set([ANY_POLICY]),
      children: [],
      depth: 0,
    };
    this.levels = [[root]];
  }

  get isNull(): boolean {
    return this.levels === undefined;
  }

  setNull(): void {
    this.levels = undefined;
  }

  private add(
    parent: PolicyNode,
    validPolicy: string,
    qualifiers: Uint8Array | undefined,
    expected: Set<string>,
  ): void {
    if (++this.count > this.maxNodes) throw new PolicyTreeTooLarge(`more than ${this.maxNodes} policy tree nodes`);
    const node: PolicyNode = {
      validPolicy,
      expectedPolicySet: expected,
      parent,
      children: [],
      depth: parent.depth + 1,
    };
    if (qualifiers) node.qualifiers = qualifiers;
    parent.children.push(node);
    const levels = this.levels!;
    (levels[node.depth] ??= []).push(node);
  }

  private remove(node: PolicyNode): void {
    const levels = this.levels!;
    const level = levels[node.depth];
    if (level) levels[node.depth] = level.filter((n) => n !== node);
    if (node.parent) node.parent.children = node.parent.children.filter((n) => n !== node);
    for (const c of [...node.children]) this.remove(c);
  }

  /** Deletes childless nodes above `depth`, bottom-up; the tree becomes NULL when the root goes. */
  private prune(depth: number): void {
    const levels = this.levels!;
    for (let d = depth - 1; d >= 0; d--) {
      for (const n of [...(levels[d] ?? [])]) if (n.children.length === 0) this.remove(n);
    }
    if ((levels[0] ?? []).length === 0) this.levels = undefined;
  }

  /** §6.1.3 (d)/(e) for certificate i (1-based depth). */
  processCertificate(cert: Certificate, i: number, anyPolicyAllowed: boolean): void {
    if (!this.levels) return;
    const policies = cert.certificatePolicies;
    if (!policies) {
      this.levels = undefined;
      return;
    }
    const parents = this.levels[i - 1] ?? [];
    let anyQualifiers: Uint8Array | undefined;
    let hasAny = false;
    for (const p of policies) {
      if (p.oid === ANY_POLICY) {
        hasAny = true;
        anyQualifiers = p.qualifiers;
        continue;
      }
      let matched = false;
      for (const parent of parents) {
        if (parent.expectedPolicySet.has(p.oid)) {
          this.add(parent, p.oid, p.qualifiers, new Set([p.oid]));
          matched = true;
        }
      }
      if (!matched) {
        for (const parent of parents) {
          if (parent.validPolicy === ANY_POLICY) this.add(parent, p.oid, p.qualifiers, new Set([p.oid]));
        }
      }
    }
    if (hasAny && anyPolicyAllowed) {
      for (const parent of parents) {
        const present = new Set(parent.children.map((c) => c.validPolicy));
        for (const expected of parent.expectedPolicySet) {
          if (!present.has(expected)) this.add(parent, expected, anyQualifiers, new Set([expected]));
        }
      }
    }
    this.levels[i] ??= [];
    this.prune(i);
  }

  /** §6.1.4 (b): applies certificate i's policy mappings (anyPolicy mappings are rejected by the caller). */
  applyMappings(
    mappings: { issuerDomainPolicy: string; subjectDomainPolicy: string }[],
    i: number,
    mappingAllowed: boolean,
  ): void {
    if (!this.levels) return;
    const bySource = new Map<string, Set<string>>();
    for (const m of mappings) {
      let set = bySource.get(m.issuerDomainPolicy);
      if (!set) bySource.set(m.issuerDomainPolicy, (set = new Set()));
      set.add(m.subjectDomainPolicy);
    }
    for (const [source, targets] of bySource) {
      const level = this.levels?.[i] ?? [];
      const nodes = level.filter((n) => n.validPolicy === source);
      if (mappingAllowed) {
        if (nodes.length > 0) {
          for (const n of nodes) n.expectedPolicySet = new Set(targets);
        } else {
          const any = level.find((n) => n.validPolicy === ANY_POLICY);
          if (any?.parent) this.add(any.parent, source, any.qualifiers, new Set(targets));
        }
      } else {
        for (const n of nodes) this.remove(n);
        if (this.levels) this.prune(i);
      }
      if (!this.levels) return;
    }
  }

  /**
   * §6.1.5 (g): intersects the tree (depth n) with the user-initial-policy-set
   * and returns the user-constrained-policy-set (`[anyPolicy]` when unconstrained).
   */
  intersect(initialPolicySet: readonly string[], n: number): string[] {
    if (!this.levels) return [];
    const userAny = initialPolicySet.includes(ANY_POLICY);
    if (!userAny) {
      const user = new Set(initialPolicySet);
      // Nodes whose parent is anyPolicy form the valid_policy_node_set boundary.
      const boundary: PolicyNode[] = [];
      for (const level of this.levels)
        for (const node of level) if (node.parent?.validPolicy === ANY_POLICY) boundary.push(node);
      for (const node of boundary) {
        if (node.validPolicy !== ANY_POLICY && !user.has(node.validPolicy)) this.remove(node);
      }
      const leafAny = (this.levels[n] ?? []).find((node) => node.validPolicy === ANY_POLICY);
      if (leafAny?.parent) {
        const present = new Set(boundary.filter((b) => this.levels![b.depth]?.includes(b)).map((b) => b.validPolicy));
        for (const p of user) if (!present.has(p)) this.add(leafAny.parent, p, leafAny.qualifiers, new Set([p]));
        this.remove(leafAny);
      }
      this.prune(n);
      if (!this.levels) return [];
    }
    // Policies are reported in the trust anchor's domain: the valid_policy_node_set
    // (children of anyPolicy nodes), as Chromium and PKITS do.
    const out = new Set<string>();
    for (const level of this.levels) {
      for (const node of level) {
        if (node.parent?.validPolicy !== ANY_POLICY) continue;
        if (node.validPolicy !== ANY_POLICY) out.add(node.validPolicy);
        else if (node.depth === n) return [ANY_POLICY];
      }
    }
    return [...out].sort();
  }
}
