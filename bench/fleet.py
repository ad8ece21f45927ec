#!/usr/bin/env python3
"""The fleet benchmark's estate (bench/fleet): many accounts, several roots each.

    fleet.py generate DIR ACCOUNTS ZONES RECORDS KEYS INSTANCES
        writes DIR/drift.toml and, per account, three roots reached by `terraform/**`:
        terraform/ACCOUNT/dns (ZONES zones of RECORDS A records), terraform/ACCOUNT/keys (KEYS
        keys with an alias each) and terraform/ACCOUNT/db (INSTANCES PostgreSQL instances),
        each with a provider that assumes ACCOUNT's read-only role; and DIR/expected.json, the
        findings drift must report once `provision` has injected one hand change per account.
    fleet.py provision DIR
        creates it all in moto (AWS_ENDPOINT_URL), each account through AssumeRole, with the
        first record of each account's first zone changed by hand.
    fleet.py terraform DIR ACCOUNT OUT ENDPOINT
        writes OUT/{dns,keys,db}: ACCOUNT's three roots for terraform against ENDPOINT (the
        provider assumes the same role, with every endpoint set to ENDPOINT) with one
        `import {}` block per resource, the ids read from moto (AWS_ENDPOINT_URL), so one
        `terraform apply` in each adopts the account into a local state.

Account ids are 100000000001, 100000000002, ...
"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

REGION = "ap-northeast-2"


def accounts(n):
    return [f"{100000000000 + i:012d}" for i in range(1, n + 1)]


def provider(account):
    return (f'provider "aws" {{\n  region = "{REGION}"\n  assume_role {{\n'
            f'    role_arn = "arn:aws:iam::{account}:role/drift-read-only"\n  }}\n}}\n')


def zone_name(account, z):
    return f"z{z}.a{account}.example.com"


def address(z, r):
    return f"10.{z}.{r // 250}.{r % 250 + 1}"


def generate(d, n, zones, records, keys, instances):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "drift.toml"), "w") as f:
        # moto answers 50 accounts from one Python process: an answer can take longer than
        # drift's default 10 s per attempt, and a retry would cost a second token.
        f.write(f'live = "aws"\n[terraform]\nroots = ["terraform/**"]\n[aws]\nregion = "{REGION}"\n'
                'attempt_timeout_secs = 60\n')
    expected = []
    for a in accounts(n):
        base = os.path.join(d, "terraform", a)
        for root in ("dns", "keys", "db"):
            os.makedirs(os.path.join(base, root), exist_ok=True)
        tf = [provider(a)]
        for z in range(zones):
            tf.append(f'resource "aws_route53_zone" "z{z}" {{\n  name = "{zone_name(a, z)}"\n}}\n')
            for r in range(records):
                tf.append(
                    f'resource "aws_route53_record" "z{z}_r{r}" {{\n'
                    f'  zone_id = aws_route53_zone.z{z}.zone_id\n  name    = "r{r}"\n'
                    f'  type    = "A"\n  ttl     = 300\n  records = ["{address(z, r)}"]\n}}\n')
        with open(os.path.join(base, "dns", "main.tf"), "w") as f:
            f.write("".join(tf))
        tf = [provider(a)]
        for k in range(keys):
            tf.append(f'resource "aws_kms_key" "k{k}" {{}}\nresource "aws_kms_alias" "k{k}" {{\n'
                      f'  name          = "alias/k{k}"\n  target_key_id = aws_kms_key.k{k}.key_id\n}}\n')
        with open(os.path.join(base, "keys", "main.tf"), "w") as f:
            f.write("".join(tf))
        tf = [provider(a)]
        for i in range(instances):
            tf.append(f'resource "aws_db_instance" "db{i}" {{\n  identifier     = "db{i}"\n'
                      f'  engine         = "postgres"\n  engine_version = "16.3"\n'
                      f'  instance_class = "db.t4g.micro"\n}}\n')
        with open(os.path.join(base, "db", "main.tf"), "w") as f:
            f.write("".join(tf))
        if zones and records:
            expected.append(f"changed route53_record r0.{zone_name(a, 0)}/A@{a}")
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"findings": sorted(expected),
                   "in_sync": n * (zones * records + keys + instances) - len(expected)}, f, indent=1)


def provision_account(account, zones, records, keys, instances):
    import boto3
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/drift-read-only", RoleSessionName="provision"
    )["Credentials"]
    s = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                              aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"], region_name=REGION)
    r53, kms, rds = s.client("route53"), s.client("kms"), s.client("rds")
    for z in range(zones):
        zid = r53.create_hosted_zone(Name=zone_name(account, z),
                                     CallerReference=f"{account}-{z}")["HostedZone"]["Id"]
        changes = []
        for r in range(records):
            value = address(z, r)
            if z == 0 and r == 0:
                value = "192.0.2.1"  # the hand change
            changes.append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"r{r}.{zone_name(account, z)}", "Type": "A", "TTL": 300,
                "ResourceRecords": [{"Value": value}]}})
        for i in range(0, len(changes), 500):
            r53.change_resource_record_sets(HostedZoneId=zid,
                                            ChangeBatch={"Changes": changes[i:i + 500]})
    for k in range(keys):
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/k{k}", TargetKeyId=key)
    for i in range(instances):
        rds.create_db_instance(DBInstanceIdentifier=f"db{i}", Engine="postgres",
                               EngineVersion="16.3", DBInstanceClass="db.t4g.micro",
                               MasterUsername="bench", MasterUserPassword="not-a-real-one",
                               AllocatedStorage=20)


def provision(d):
    with open(os.path.join(d, "shape.json")) as f:
        shape = json.load(f)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda a: provision_account(a, shape["zones"], shape["records"],
                                                  shape["keys"], shape["instances"]),
                      accounts(shape["accounts"])))


def session(account):
    import boto3
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/drift-read-only", RoleSessionName="terraform"
    )["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name=REGION)


def terraform(d, account, out, endpoint):
    import re
    s = session(account)
    zones = {z["Name"].rstrip("."): z["Id"].split("/")[-1]
             for z in s.client("route53").list_hosted_zones()["HostedZones"]}
    keys = {a["AliasName"]: a["TargetKeyId"]
            for a in s.client("kms").list_aliases(Limit=100)["Aliases"] if "TargetKeyId" in a}
    services = ["kms", "route53", "rds", "sts", "iam"]
    endpoints = "\n".join(f"    {x} = \"{endpoint}\"" for x in services)
    provider_block = f"""terraform {{
  required_providers {{
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  assume_role {{
    role_arn = "arn:aws:iam::{account}:role/drift-read-only"
  }}
  endpoints {{
{endpoints}
  }}
}}
"""
    for root in ("dns", "keys", "db"):
        src = open(os.path.join(d, "terraform", account, root, "main.tf")).read()
        body = re.sub(r'^provider "aws" \{.*?^\}\n', "", src, count=1, flags=re.S | re.M)
        os.makedirs(os.path.join(out, root), exist_ok=True)
        with open(os.path.join(out, root, "main.tf"), "w") as f:
            f.write(provider_block + body)
        imports = []
        override = []
        for kind, name in re.findall(r'^resource "(\w+)" "(\w+)"', body, flags=re.M):
            if kind == "aws_route53_zone":
                z = int(name[1:])
                imports.append((f"{kind}.{name}", zones[zone_name(account, z)]))
            elif kind == "aws_route53_record":
                z, r = (int(x) for x in re.match(r"z(\d+)_r(\d+)", name).groups())
                imports.append((f"{kind}.{name}",
                                f"{zones[zone_name(account, z)]}_r{r}.{zone_name(account, z)}_A"))
            elif kind == "aws_kms_key":
                imports.append((f"{kind}.{name}", keys[f"alias/{name}"]))
                # moto's DescribeKey leaves out what the provider reads as the key's usage and
                # spec, which would make terraform replace the imported key.
                override.append(f'resource "aws_kms_key" "{name}" {{\n  lifecycle {{\n'
                                f'    ignore_changes = [key_usage, customer_master_key_spec]\n  }}\n}}\n')
            elif kind == "aws_kms_alias":
                imports.append((f"{kind}.{name}", f"alias/{name}"))
            elif kind == "aws_db_instance":
                imports.append((f"{kind}.{name}", name))
        with open(os.path.join(out, root, "imports.tf"), "w") as f:
            for address, ident in imports:
                f.write(f"import {{\n  to = {address}\n  id = {json.dumps(ident)}\n}}\n\n")
        if override:
            with open(os.path.join(out, root, "bench_override.tf"), "w") as f:
                f.write("\n".join(override))


def main():
    a = sys.argv[1:]
    if a[:1] == ["generate"] and len(a) == 7:
        n, zones, records, keys, instances = map(int, a[2:])
        generate(a[1], n, zones, records, keys, instances)
        with open(os.path.join(a[1], "shape.json"), "w") as f:
            json.dump({"accounts": n, "zones": zones, "records": records, "keys": keys,
                       "instances": instances}, f)
    elif a[:1] == ["provision"] and len(a) == 2:
        provision(a[1])
    elif a[:1] == ["terraform"] and len(a) == 5:
        terraform(a[1], a[2], a[3], a[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
