"""The data-plane steps of the DR drill (dr-drill.sh), through the AWS APIs of the emulator.

  python drill.py ENDPOINT STATE_FILE create PRIMARY_OUTPUTS_JSON
      data in the primary: a database snapshot, a media object, an image in ECR, a secret value
  python drill.py ENDPOINT STATE_FILE copy
      to the DR region: copy-db-snapshot; ECR and Secrets Manager replication (checked, or done
      the way AWS does it where moto does not replicate: said so in the output)
  python drill.py ENDPOINT STATE_FILE restore-media DR_OUTPUTS_JSON DISTRIBUTION_ID
      the media object into the DR media bucket (what an AWS Backup restore job does), and the
      distribution's /media/* origin switched to that bucket (the runbook's command)
  python drill.py ENDPOINT STATE_FILE smoke DR_OUTPUTS_JSON DR_STATE_JSON
      the DR environment read back: database restored from the copy, service on the DR image,
      secrets readable in the DR region, ALB and origin record, the media object and origin

  python drill.py ENDPOINT STATE_FILE cleanup
      the drill's image out of the primary's repository (Terraform does not force-delete a
      repository with images), before the primary is destroyed

STATE_FILE is a JSON file the steps share (what was made, for the later checks).
"""
import hashlib
import json
import sys

import boto3

endpoint, state_file, step = sys.argv[1], sys.argv[2], sys.argv[3]
PRIMARY, DR = "eu-central-1", "eu-west-1"
NAME = "folio-dev"
DR_NAME = "folio-dev-dr"
IMAGE_TAG = "drill-1"
MEDIA_KEY = "media/drill/original.txt"


def client(service, region):
    return boto3.client(service, endpoint_url=endpoint, region_name=region)


def load():
    try:
        return json.load(open(state_file))
    except FileNotFoundError:
        return {}


def save(state):
    json.dump(state, open(state_file, "w"), indent=2)


failures = []


def check(what, ok):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def outputs(path):
    return {k: v["value"] for k, v in json.load(open(path)).items()}


def create(primary_outputs):
    state = load()
    out = outputs(primary_outputs)
    rds = client("rds", PRIMARY)
    snap = rds.create_db_snapshot(DBInstanceIdentifier=out["db_instance_id"], DBSnapshotIdentifier=f"{NAME}-drill")["DBSnapshot"]
    rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    state["snapshot_arn"] = snap["DBSnapshotArn"]
    print(f"  database snapshot {snap['DBSnapshotArn']}")

    s3 = client("s3", PRIMARY)
    bucket = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{NAME}-media-")][0]
    body = b"an original upload, made before the disaster\n"
    s3.put_object(Bucket=bucket, Key=MEDIA_KEY, Body=body)
    state["media"] = {"bucket": bucket, "key": MEDIA_KEY, "sha256": hashlib.sha256(body).hexdigest()}
    print(f"  media object s3://{bucket}/{MEDIA_KEY}")

    # An image manifest (the layers are not needed to register it): what the pipeline pushes.
    ecr = client("ecr", PRIMARY)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": "sha256:" + hashlib.sha256(b"drill config").hexdigest()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                    "digest": "sha256:" + hashlib.sha256(b"drill layer").hexdigest()}],
    })
    image = ecr.put_image(repositoryName=NAME, imageManifest=manifest, imageTag=IMAGE_TAG)["image"]
    state["image"] = {"tag": IMAGE_TAG, "digest": image["imageId"]["imageDigest"], "manifest": manifest}
    print(f"  image {NAME}:{IMAGE_TAG} {image['imageId']['imageDigest']}")

    # A secret value the DR tasks must see: the signing key as the primary has it (rotated once
    # here, so the replica is checked for the newest value, not the first).
    sm = client("secretsmanager", PRIMARY)
    sm.put_secret_value(SecretId=f"{NAME}/secret-key", SecretString="drill-signing-key-" + hashlib.sha256(b"k").hexdigest()[:32])
    value = sm.get_secret_value(SecretId=f"{NAME}/secret-key")["SecretString"]
    state["secret_key_sha256"] = hashlib.sha256(value.encode()).hexdigest()
    print(f"  secret {NAME}/secret-key: new value put")
    save(state)


def copy():
    state = load()
    rds = client("rds", DR)
    # What the runbook does: the copy is encrypted with the environment's key in the DR region.
    copied = rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier=state["snapshot_arn"],
        TargetDBSnapshotIdentifier=f"{NAME}-drill-copy",
        KmsKeyId=f"alias/{NAME}",
        SourceRegion=PRIMARY,
        CopyTags=True,
    )["DBSnapshot"]
    rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=copied["DBSnapshotIdentifier"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    state["copy_arn"] = copied["DBSnapshotArn"]
    print(f"  database snapshot copied: {copied['DBSnapshotArn']} (instance {copied['DBInstanceIdentifier']})")

    # ECR: the registry's replication rule (bootstrap) copies each push on AWS. moto stores the
    # rule but copies nothing, so the drill does what the replication does: the same manifest
    # into the same repository name in the DR region (same digest).
    ecr = client("ecr", DR)
    try:
        ecr.describe_images(repositoryName=NAME, imageIds=[{"imageTag": IMAGE_TAG}])
        print("  image: replicated by the emulator")
    except ecr.exceptions.RepositoryNotFoundException:
        ecr.create_repository(repositoryName=NAME, imageTagMutability="IMMUTABLE")
        ecr.put_image(repositoryName=NAME, imageManifest=state["image"]["manifest"], imageTag=IMAGE_TAG)
        print("  image: moto does not replicate ECR; copied as ECR replication would (same repository name and manifest)")
    digest = ecr.describe_images(repositoryName=NAME, imageIds=[{"imageTag": IMAGE_TAG}])["imageDetails"][0]["imageDigest"]
    check("the DR region's image has the primary's digest", digest == state["image"]["digest"])

    # Secrets Manager: moto keeps replicas itself (the primary's secrets have a DR replica).
    sm = client("secretsmanager", DR)
    dr_key = client("kms", DR).describe_key(KeyId=f"alias/{NAME}")["KeyMetadata"]["Arn"]
    for name in (f"{NAME}/secret-key", f"{NAME}/origin-verify"):
        described = sm.describe_secret(SecretId=name)
        check(f"{name} has a replica in {DR} (primary region {described.get('PrimaryRegion')})",
              described.get("PrimaryRegion") == PRIMARY and described["ARN"].split(":")[3] == DR)
        status = client("secretsmanager", PRIMARY).describe_secret(SecretId=name)["ReplicationStatus"]
        check(f"{name}'s replica is encrypted with alias/{NAME} in {DR}",
              [(r["Region"], r["KmsKeyId"]) for r in status] == [(DR, dr_key)])
    save(state)
    if failures:
        sys.exit(1)


def restore_media(dr_outputs, distribution_id):
    state = load()
    out = outputs(dr_outputs)
    # moto has no AWS Backup jobs (nor backup selections): copy the object into the DR bucket,
    # which is what `aws backup start-restore-job` of the DR vault's recovery point does.
    client("s3", DR).copy_object(
        Bucket=out["media_bucket"]["id"], Key=state["media"]["key"],
        CopySource={"Bucket": state["media"]["bucket"], "Key": state["media"]["key"]},
    )
    print(f"  media restored into s3://{out['media_bucket']['id']}/{state['media']['key']} (copy: moto has no AWS Backup restore jobs)")

    # CloudFront is global and survives; its media origin moves to the DR bucket (the same
    # origin access control signs for any bucket that allows the distribution, as envs/dr's does).
    cloudfront = client("cloudfront", "us-east-1")
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    for origin in config["Origins"]["Items"]:
        if origin["Id"] == "media":
            origin["DomainName"] = out["media_bucket"]["regional_domain_name"]
    cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
    state["distribution_id"] = distribution_id
    save(state)
    print(f"  distribution {distribution_id}: /media/* origin is now {out['media_bucket']['regional_domain_name']}")


def smoke(dr_outputs, dr_state):
    state = load()
    out = outputs(dr_outputs)
    resources = json.load(open(dr_state))["values"]["root_module"]

    def find(address):
        for module in [resources] + resources.get("child_modules", []):
            for r in module.get("resources", []):
                if r["address"] == address:
                    return r["values"]
        return None

    rds = client("rds", DR)
    db = rds.describe_db_instances(DBInstanceIdentifier=DR_NAME)["DBInstances"][0]
    db_state = find("module.data.aws_db_instance.this")
    check(f"database {DR_NAME} exists in {DR} ({db['DBInstanceArn']})", db["DBInstanceArn"].split(":")[3] == DR and db["DBInstanceStatus"] == "available")
    check("it was restored from the copied snapshot", db_state["snapshot_identifier"] == state["copy_arn"] == out["db_snapshot"])
    copied = rds.describe_db_snapshots(DBSnapshotIdentifier=state["copy_arn"].split(":")[-1])["DBSnapshots"][0]
    check("the copy is of the primary's instance", copied["DBInstanceIdentifier"] == NAME)

    ecs = client("ecs", DR)
    repo_url = client("ecr", DR).describe_repositories(repositoryNames=[NAME])["repositories"][0]["repositoryUri"]
    service = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_names"]["web"]])["services"][0]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = task["containerDefinitions"][0]
    check(f"web runs the DR registry's image {container['image']}", container["image"] == f"{repo_url}:{IMAGE_TAG}" and f".{DR}." in repo_url)
    check(f"web service is ACTIVE with desired count {service['desiredCount']}", service["status"] == "ACTIVE" and service["desiredCount"] >= 1)

    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    sm = client("secretsmanager", DR)
    check("FOLIO_SECRET_KEY is the DR region's replica", secrets["FOLIO_SECRET_KEY"].split(":")[3] == DR and f":secret:{NAME}/secret-key" in secrets["FOLIO_SECRET_KEY"])
    value = sm.get_secret_value(SecretId=secrets["FOLIO_SECRET_KEY"])["SecretString"]
    check("the replica holds the primary's newest value", hashlib.sha256(value.encode()).hexdigest() == state["secret_key_sha256"])
    env = {e["name"]: e["value"] for e in container["environment"]}
    db = client("rds", DR).describe_db_instances(DBInstanceIdentifier=DR_NAME)["DBInstances"][0]
    check(f"web logs in to the DR instance as the app role by IAM ({env.get('FOLIO_DATABASE_URL')})",
          env.get("FOLIO_DATABASE_AUTH") == "iam" and env.get("FOLIO_DATABASE_URL", "").startswith(f"postgres://folio_app@{db['Endpoint']['Address']}:"))
    migrate = ecs.describe_task_definition(taskDefinition=f"{DR_NAME}-migrate")["taskDefinition"]["containerDefinitions"][0]
    password = {s["name"]: s["valueFrom"] for s in migrate["secrets"]}.get("FOLIO_DATABASE_PASSWORD", "")
    check("migrate reads the master password from the DR instance's own RDS-managed secret",
          password.startswith(db["MasterUserSecret"]["SecretArn"] + ":password") and password.split(":")[3] == DR)

    elb = client("elbv2", DR)
    alb = elb.describe_load_balancers(Names=[DR_NAME])["LoadBalancers"][0]
    check(f"ALB {DR_NAME} in {DR}", alb["DNSName"] == out["alb"]["dns_name"] and alb["LoadBalancerArn"].split(":")[3] == DR)
    # CloudFront (unchanged) sends the primary's origin-verify value; the DR ALB's production
    # rule must accept exactly that value, read from the replica.
    origin_value = sm.get_secret_value(SecretId=f"{NAME}/origin-verify")["SecretString"]
    listeners = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    https = [l for l in listeners if l["Port"] == 443][0]
    headers = [c["HttpHeaderConfig"] for r in elb.describe_rules(ListenerArn=https["ListenerArn"])["Rules"]
               for c in r.get("Conditions", []) if c.get("Field") == "http-header"]
    config = client("cloudfront", "us-east-1").get_distribution_config(Id=state["distribution_id"])["DistributionConfig"]
    sent = [h["HeaderValue"] for o in config["Origins"]["Items"] if o["Id"] == "alb"
            for h in o.get("CustomHeaders", {}).get("Items", []) if h["HeaderName"] == "X-Origin-Verify"]
    check("the DR ALB accepts the X-Origin-Verify value CloudFront sends (the replicated secret)",
          len(headers) == 1 and headers[0]["HttpHeaderName"] == "X-Origin-Verify"
          and headers[0]["Values"] == [origin_value] and sent == [origin_value])
    route53 = client("route53", PRIMARY)
    zone = route53.list_hosted_zones_by_name(DNSName="dev.folio.example.org")["HostedZones"][0]["Id"]
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    origin = [r for r in records if r["Name"].rstrip(".") == "origin.dev.folio.example.org" and r["Type"] == "A"]
    check("origin.<domain> points at the DR ALB (take_traffic)", len(origin) == 1 and origin[0]["AliasTarget"]["DNSName"].rstrip(".") == alb["DNSName"])

    media_origin = [o["DomainName"] for o in config["Origins"]["Items"] if o["Id"] == "media"]
    check("CloudFront's /media/* origin is the DR bucket", media_origin == [out["media_bucket"]["regional_domain_name"]])
    body = client("s3", DR).get_object(Bucket=out["media_bucket"]["id"], Key=state["media"]["key"])["Body"].read()
    check("the media object is in the DR bucket, unchanged", hashlib.sha256(body).hexdigest() == state["media"]["sha256"])
    if failures:
        sys.exit(1)


def cleanup():
    state = load()
    client("ecr", PRIMARY).batch_delete_image(repositoryName=NAME, imageIds=[{"imageTag": state["image"]["tag"]}])
    print(f"  image {NAME}:{state['image']['tag']} deleted from the primary's repository")


if step == "create":
    create(sys.argv[4])
elif step == "copy":
    copy()
elif step == "restore-media":
    restore_media(sys.argv[4], sys.argv[5])
elif step == "smoke":
    smoke(sys.argv[4], sys.argv[5])
elif step == "cleanup":
    cleanup()
else:
    sys.exit(f"unknown step {step}")
