#!/usr/bin/env python3
"""Writes a generated estate for drift's benchmarks (see BENCHMARKS.md).

    bench/generate.py SIZE OUT_DIR [--drift FRACTION] [--seed N] [--account ID] [--region R]

SIZE is small, medium, large, huge, or KEYS,RECORDS,INSTANCES,DATABASES. OUT_DIR gets:

  tf/             the Terraform root: KMS keys with policies in the three forms drift reads
                  (jsonencode, aws_iam_policy_document data sources with for_each, heredoc
                  JSON), Route 53 zones with for_each A records, count CNAMEs, TXT and alias
                  records and wildcards, RDS instances of several engines
  services.yaml   the manifest: the services' databases on the first PostgreSQL instance
  drift.toml      checks tf/ + services.yaml against snapshot.json
  snapshot.json   the live side as drift.snapshot/v1, with the injected drift
  clean.json      the live side before the drift (what the code says), same format
  expected.json   every injected drift as "status kind id", and the counts
  imports.json    each resource's terraform address and import id (bench/terraform_config.py)

A FRACTION (default 0.05) of each family's objects is drifted, spread over the statuses the
family can have: a changed or missing key policy, a changed, missing or unmanaged record, a
changed or missing instance, a missing or unmanaged database.
"""

import argparse
import json
import os
import random
import uuid

SIZES = {
    # keys, records, instances, databases
    "small": (2, 20, 2, 8),
    "medium": (100, 1000, 50, 100),
    "large": (500, 20000, 100, 300),
    "huge": (5000, 50000, 2500, 1000),
}
ZONES = {"small": 1, "medium": 5, "large": 20, "huge": 50}
ENGINES = [
    ("postgres", "16.3"),
    ("mysql", "8.0.35"),
    ("postgres", "15.7"),
    ("mariadb", "10.11.6"),
]
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def hcl_str(s):
    return json.dumps(s)


class Estate:
    def __init__(self, keys, records, instances, databases, zones, fraction, seed, account, region):
        self.rng = random.Random(seed)
        self.n_keys, self.n_records = keys, records
        self.n_instances, self.n_databases = instances, databases
        self.n_zones, self.fraction = zones, fraction
        self.account, self.region = account, region
        self.expected = []
        self.files = {}
        # terraform address -> import id; "{zone:NAME}" and "{key:ALIAS}" stand for the ids AWS
        # gives when the estate is provisioned.
        self.imports = {}

    def pick(self, n, statuses):
        """Which of n objects drift, and how: {index: status}."""
        k = max(1, round(n * self.fraction)) if n and self.fraction > 0 else 0
        chosen = self.rng.sample(range(n), min(k, n))
        return {i: statuses[j % len(statuses)] for j, i in enumerate(chosen)}

    # --- KMS -------------------------------------------------------------------------------
    def statements(self, i):
        root = f"arn:aws:iam::{self.account}:root"
        role = f"arn:aws:iam::{self.account}:role/app-{i:05d}"
        return [
            {"Sid": "Default", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "KeyUsage", "Effect": "Allow", "Principal": {"AWS": role},
             "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
             "Resource": "*"},
        ]

    def kms(self):
        drift = self.pick(self.n_keys, ["changed", "missing"])
        forms = {"jsonencode": [], "document": [], "heredoc": []}
        names = ["jsonencode", "document", "heredoc"]
        for i in range(self.n_keys):
            forms[names[i % 3]].append(i)
        # jsonencode: one resource block per key.
        out = ['data "aws_caller_identity" "current" {}\n']
        for i in forms["jsonencode"]:
            out.append(f'''
resource "aws_kms_key" "k{i:05d}" {{
  description = "bench key {i}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "Default"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root" }}
        Action    = "kms:*"
        Resource  = "*"
      }},
      {{
        Sid       = "KeyUsage"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/app-{i:05d}" }}
        Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      }},
    ]
  }})
}}

resource "aws_kms_alias" "k{i:05d}" {{
  name          = "alias/bench-{i:05d}"
  target_key_id = aws_kms_key.k{i:05d}.key_id
}}
''')
        self.files["tf/kms_jsonencode.tf"] = "".join(out)
        # aws_iam_policy_document with for_each over a map.
        team = "\n".join(f'    "{i:05d}" = "app-{i:05d}"' for i in forms["document"])
        self.files["tf/kms_document.tf"] = f'''locals {{
  team_keys = {{
{team}
  }}
}}

data "aws_iam_policy_document" "team" {{
  for_each = local.team_keys

  statement {{
    sid       = "Default"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}

  statement {{
    sid       = "KeyUsage"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/${{each.value}}"]
    }}
  }}
}}

resource "aws_kms_key" "team" {{
  for_each    = local.team_keys
  description = "bench team key ${{each.key}}"
  policy      = data.aws_iam_policy_document.team[each.key].json
}}

resource "aws_kms_alias" "team" {{
  for_each      = local.team_keys
  name          = "alias/bench-${{each.key}}"
  target_key_id = aws_kms_key.team[each.key].key_id
}}
'''
        # Heredoc JSON with interpolation.
        out = []
        for i in forms["heredoc"]:
            out.append(f'''
resource "aws_kms_key" "h{i:05d}" {{
  description = "bench heredoc key {i}"
  policy      = <<-POLICY
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{
          "Sid": "Default",
          "Effect": "Allow",
          "Principal": {{"AWS": "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"}},
          "Action": "kms:*",
          "Resource": "*"
        }},
        {{
          "Sid": "KeyUsage",
          "Effect": "Allow",
          "Principal": {{"AWS": "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/app-{i:05d}"}},
          "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
          "Resource": "*"
        }}
      ]
    }}
  POLICY
}}

resource "aws_kms_alias" "h{i:05d}" {{
  name          = "alias/bench-{i:05d}"
  target_key_id = aws_kms_key.h{i:05d}.key_id
}}
''')
        self.files["tf/kms_heredoc.tf"] = "".join(out)

        keys, clean = [], []
        for i in range(self.n_keys):
            alias = f"alias/bench-{i:05d}"
            form = names[i % 3]
            addr = {"jsonencode": f"k{i:05d}", "document": f'team["{i:05d}"]',
                    "heredoc": f"h{i:05d}"}[form]
            self.imports[f"aws_kms_key.{addr}"] = f"{{key:{alias}}}"
            self.imports[f"aws_kms_alias.{addr}"] = alias
            status = drift.get(i)
            key_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            key = {
                "key_id": key_id,
                "arn": f"arn:aws:kms:{self.region}:{self.account}:key/{key_id}",
                "key_state": "Enabled",
                "aliases": [alias],
            }
            clean.append(dict(key, policy={"Version": "2012-10-17", "Id": "key-default-1",
                                           "Statement": self.statements(i)}))
            if status == "missing":
                self.expected.append(f"missing kms_key_policy {alias}")
                continue
            stmts = self.statements(i)
            # AWS returns what it stored: shuffled statements and actions are still equal.
            self.rng.shuffle(stmts)
            if status == "changed":
                stmts.append({
                    "Sid": "AllowCloudFrontDecrypt", "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
                self.expected.append(f"changed kms_key_policy {alias}")
            keys.append(dict(key, policy={"Version": "2012-10-17", "Id": "key-default-1",
                                          "Statement": stmts}))
        return keys, clean

    # --- Route 53 --------------------------------------------------------------------------
    def route53(self):
        zones, clean_zones = [], []
        per_zone = [self.n_records // self.n_zones + (1 if z < self.n_records % self.n_zones else 0)
                    for z in range(self.n_zones)]
        zone_tf = []
        counter = 0
        for z in range(self.n_zones):
            zname = f"z{z:02d}.bench.example"
            self.imports[f"aws_route53_zone.z{z:02d}"] = f"{{zone:{zname}.}}"
            zone_tf.append(f'''
resource "aws_route53_zone" "z{z:02d}" {{
  name = "{zname}"
}}
''')
            n = per_zone[z]
            # Shares: 50% for_each A, 25% count CNAME, 13% TXT blocks, 8% aliases, 4% wildcards.
            kinds = (["a"] * 50 + ["cname"] * 25 + ["txt"] * 13 + ["alias"] * 8 + ["wild"] * 4)
            plan = [kinds[(j * 37) % 100] for j in range(n)]
            hosts, cnames, txts, aliases, wilds = [], [], [], [], []
            for kind in plan:
                idx = counter
                counter += 1
                {"a": hosts, "cname": cnames, "txt": txts, "alias": aliases, "wild": wilds}[kind].append(idx)
            drift = self.pick(n, ["changed", "missing", "unmanaged"])
            live = [
                {"Name": f"{zname}.", "Type": "NS", "TTL": 172800, "ResourceRecords": [
                    {"Value": f"ns-{k}.awsdns-{k:02d}.com."} for k in range(4)]},
                {"Name": f"{zname}.", "Type": "SOA", "TTL": 900, "ResourceRecords": [
                    {"Value": "ns-0.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}]},
            ]
            records = []  # (id, live record) in the order they are declared
            host_map = []
            for idx in hosts:
                ip = f"10.{(idx >> 16) & 255}.{(idx >> 8) & 255}.{idx & 255}"
                host_map.append(f'    "host-{idx:06d}.{zname}" = "{ip}"')
                records.append((f"host-{idx:06d}.{zname}/A", {
                    "Name": f"host-{idx:06d}.{zname}.", "Type": "A", "TTL": 300,
                    "ResourceRecords": [{"Value": ip}]}))
            cname_list = []
            for idx in cnames:
                cname_list.append(f'    "cname-{idx:06d}.{zname}"')
                records.append((f"cname-{idx:06d}.{zname}/CNAME", {
                    "Name": f"cname-{idx:06d}.{zname}.", "Type": "CNAME", "TTL": 300,
                    "ResourceRecords": [{"Value": f"lb-{idx % 7}.{zname}"}]}))
            blocks = []
            for idx in txts:
                blocks.append(f'''
resource "aws_route53_record" "txt{idx:06d}" {{
  zone_id = aws_route53_zone.z{z:02d}.zone_id
  name    = "txt-{idx:06d}.{zname}"
  type    = "TXT"
  ttl     = 3600
  records = ["v=bench1 id={idx}"]
}}
''')
                records.append((f"txt-{idx:06d}.{zname}/TXT", {
                    "Name": f"txt-{idx:06d}.{zname}.", "Type": "TXT", "TTL": 3600,
                    "ResourceRecords": [{"Value": f'"v=bench1 id={idx}"'}]}))
            for idx in aliases:
                blocks.append(f'''
resource "aws_route53_record" "cdn{idx:06d}" {{
  zone_id = aws_route53_zone.z{z:02d}.zone_id
  name    = "cdn-{idx:06d}.{zname}"
  type    = "A"

  alias {{
    name                   = "d{idx:06d}.cloudfront.net"
    zone_id                = "{CLOUDFRONT_ZONE}"
    evaluate_target_health = false
  }}
}}
''')
                records.append((f"cdn-{idx:06d}.{zname}/A", {
                    "Name": f"cdn-{idx:06d}.{zname}.", "Type": "A",
                    "AliasTarget": {"HostedZoneId": CLOUDFRONT_ZONE,
                                    "DNSName": f"d{idx:06d}.cloudfront.net.",
                                    "EvaluateTargetHealth": False}}))
            for idx in wilds:
                blocks.append(f'''
resource "aws_route53_record" "wild{idx:06d}" {{
  zone_id = aws_route53_zone.z{z:02d}.zone_id
  name    = "*.w{idx:06d}.{zname}"
  type    = "CNAME"
  ttl     = 60
  records = ["edge.{zname}"]
}}
''')
                records.append((f"*.w{idx:06d}.{zname}/CNAME", {
                    "Name": f"\\052.w{idx:06d}.{zname}.", "Type": "CNAME", "TTL": 60,
                    "ResourceRecords": [{"Value": f"edge.{zname}"}]}))
            zid = f"{{zone:{zname}.}}"
            for idx in hosts:
                self.imports[f'aws_route53_record.hosts_z{z:02d}["host-{idx:06d}.{zname}"]'] = f"{zid}_host-{idx:06d}.{zname}_A"
            for n_, idx in enumerate(cnames):
                self.imports[f"aws_route53_record.cnames_z{z:02d}[{n_}]"] = f"{zid}_cname-{idx:06d}.{zname}_CNAME"
            for idx in txts:
                self.imports[f"aws_route53_record.txt{idx:06d}"] = f"{zid}_txt-{idx:06d}.{zname}_TXT"
            for idx in aliases:
                self.imports[f"aws_route53_record.cdn{idx:06d}"] = f"{zid}_cdn-{idx:06d}.{zname}_A"
            for idx in wilds:
                self.imports[f"aws_route53_record.wild{idx:06d}"] = f"{zid}_*.w{idx:06d}.{zname}_CNAME"
            hosts_text = "\n".join(host_map)
            cnames_text = ",\n".join(cname_list)
            self.files[f"tf/records_z{z:02d}.tf"] = f'''locals {{
  hosts_z{z:02d} = {{
{hosts_text}
  }}
  cnames_z{z:02d} = [
{cnames_text}
  ]
}}

resource "aws_route53_record" "hosts_z{z:02d}" {{
  for_each = local.hosts_z{z:02d}

  zone_id = aws_route53_zone.z{z:02d}.zone_id
  name    = each.key
  type    = "A"
  ttl     = 300
  records = [each.value]
}}

resource "aws_route53_record" "cnames_z{z:02d}" {{
  count = length(local.cnames_z{z:02d})

  zone_id = aws_route53_zone.z{z:02d}.zone_id
  name    = local.cnames_z{z:02d}[count.index]
  type    = "CNAME"
  ttl     = 300
  records = ["lb-${{parseint(substr(local.cnames_z{z:02d}[count.index], 6, 6), 10) % 7}}.{zname}"]
}}
''' + "".join(blocks)
            clean_zones.append({"id": f"/hostedzone/ZBENCH{z:02d}{'X' * 12}", "name": f"{zname}.",
                                "private_zone": False,
                                "records": live[:2] + [rec for _, rec in records]})
            for j, (rid, rec) in enumerate(records):
                status = drift.get(j)
                if status == "missing":
                    self.expected.append(f"missing route53_record {rid}")
                    continue
                if status == "changed":
                    if "TTL" in rec:
                        rec = dict(rec, TTL=rec["TTL"] + 1)
                    else:
                        rec = dict(rec, AliasTarget=dict(rec["AliasTarget"], EvaluateTargetHealth=True))
                    self.expected.append(f"changed route53_record {rid}")
                if status == "unmanaged":
                    name = f"stray-{z:02d}-{j:06d}.{zname}"
                    live.append({"Name": f"{name}.", "Type": "A", "TTL": 60,
                                 "ResourceRecords": [{"Value": "192.0.2.1"}]})
                    self.expected.append(f"unmanaged route53_record {name}/A")
                live.append(rec)
            zones.append({"id": f"/hostedzone/ZBENCH{z:02d}{'X' * 12}", "name": f"{zname}.",
                          "private_zone": False, "records": live})
        self.files["tf/zones.tf"] = "".join(zone_tf)
        return zones, clean_zones

    # --- RDS and databases -----------------------------------------------------------------
    def rds(self):
        drift = self.pick(self.n_instances, ["changed", "missing"])
        drift.pop(0, None)  # the manifest's instance stays, so its databases are compared
        out = []
        instances, clean = [], []
        for i in range(self.n_instances):
            engine, version = ENGINES[i % len(ENGINES)]
            ident = f"bench-db-{i:04d}"
            self.imports[f"aws_db_instance.db{i:04d}"] = ident
            db_name = '\n  db_name        = "app"' if i == 0 else ""
            out.append(f'''
resource "aws_db_instance" "db{i:04d}" {{
  identifier     = "{ident}"
  engine         = "{engine}"
  engine_version = "{version}"
  instance_class = "db.t4g.micro"{db_name}
  username       = "bench"
  allocated_storage = 20
}}
''')
            status = drift.get(i)
            clean.append({
                "identifier": ident, "engine": engine, "engine_version": version,
                "status": "available",
                "endpoint": {"address": f"{ident}.cbench.{self.region}.rds.amazonaws.com",
                             "port": 5432 if engine == "postgres" else 3306},
            })
            if status == "missing":
                self.expected.append(f"missing rds_instance {ident}")
                continue
            live_version = version
            if status == "changed":
                major = int(version.split(".")[0]) + 1
                live_version = f"{major}.1"
                self.expected.append(f"changed rds_instance {ident}")
            instances.append({
                "identifier": ident, "engine": engine, "engine_version": live_version,
                "status": "available",
                "endpoint": {"address": f"{ident}.cbench.{self.region}.rds.amazonaws.com",
                             "port": 5432 if engine == "postgres" else 3306},
            })
        self.files["tf/rds.tf"] = "".join(out)

        # Databases: "app" (db_name) and one per service, on bench-db-0000 (PostgreSQL).
        services = self.n_databases - 1
        ddrift = self.pick(services, ["missing", "unmanaged"])
        lines = ["# Generated by bench/generate.py.", "rds_instance: bench-db-0000", "services:"]
        dbs = [{"datname": n, "datistemplate": t} for n, t in
               [("template0", True), ("template1", True), ("rdsadmin", False),
                ("postgres", False), ("app", False)]]
        clean_dbs = list(dbs)
        for s in range(services):
            name = f"svc{s:05d}_db"
            lines.append(f"  - name: svc{s:05d}-service")
            clean_dbs.append({"datname": name, "datistemplate": False})
            status = ddrift.get(s)
            if status == "missing":
                self.expected.append(f"missing postgres_database bench-db-0000/{name}")
                continue
            dbs.append({"datname": name, "datistemplate": False})
            if status == "unmanaged":
                stray = f"stray{s:05d}_db"
                dbs.append({"datname": stray, "datistemplate": False})
                self.expected.append(f"unmanaged postgres_database bench-db-0000/{stray}")
        self.files["services.yaml"] = "\n".join(lines) + "\n"
        if instances and instances[0]["identifier"] == "bench-db-0000":
            instances[0]["databases"] = dbs
        if clean:
            clean[0]["databases"] = clean_dbs
        return instances, clean

    def write(self, out):
        keys, clean_keys = self.kms()
        zones, clean_zones = self.route53()
        instances, clean_instances = self.rds()
        self.files["tf/versions.tf"] = f'''terraform {{
  required_providers {{
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

provider "aws" {{
  region = "{self.region}"
}}
'''
        self.files["drift.toml"] = f'''# Generated by bench/generate.py.
live = "snapshot.json"

[terraform]
roots = ["tf"]

[manifest]
path = "services.yaml"

[aws]
region = "{self.region}"
'''
        snapshot = {
            "schema": "drift.snapshot/v1", "account_id": self.account, "region": self.region,
            "captured_at": "2026-11-27T00:00:00Z",
            "kms": {"keys": keys},
            "route53": {"zones": zones},
            "rds": {"instances": instances},
        }
        self.files["snapshot.json"] = json.dumps(snapshot, indent=1) + "\n"
        clean = dict(snapshot, kms={"keys": clean_keys}, route53={"zones": clean_zones},
                     rds={"instances": clean_instances})
        self.files["clean.json"] = json.dumps(clean, indent=1) + "\n"
        counts = {}
        for e in self.expected:
            status = e.split()[0]
            counts[status] = counts.get(status, 0) + 1
        self.files["expected.json"] = json.dumps({
            "size": {"keys": self.n_keys, "records": self.n_records, "zones": self.n_zones,
                     "instances": self.n_instances, "databases": self.n_databases},
            "counts": counts, "findings": sorted(self.expected)}, indent=1) + "\n"
        self.files["imports.json"] = json.dumps(self.imports, indent=1) + "\n"
        for rel, text in self.files.items():
            path = os.path.join(out, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("size")
    ap.add_argument("out")
    ap.add_argument("--drift", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--account", default="123456789012")
    ap.add_argument("--region", default="eu-west-1")
    a = ap.parse_args()
    if a.size in SIZES:
        keys, records, instances, databases = SIZES[a.size]
        zones = ZONES[a.size]
    else:
        try:
            keys, records, instances, databases = (int(x) for x in a.size.split(","))
        except ValueError:
            ap.error(f"size {a.size!r}: small, medium, large, huge or KEYS,RECORDS,INSTANCES,DATABASES")
        zones = max(1, min(50, records // 1000))
    Estate(keys, records, instances, databases, zones, a.drift, a.seed, a.account,
           a.region).write(a.out)


if __name__ == "__main__":
    main()
