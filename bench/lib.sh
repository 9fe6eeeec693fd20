# Shared set-up of the benches (sourced). Needs $bin (riker's release build), $root and $work.

# A free TCP port on 127.0.0.1.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# start_sshd PORT [EXTRA_AUTHORIZED_KEYS_FILE]: an OpenSSH sshd on 127.0.0.1:PORT with Riker's
# forced command for the admin key $work/keys/riker (registered as `bench`); sets $sshd_pid
# and $ssh_opts.
start_sshd() {
  local port=$1 extra=${2:-}
  mkdir -p "$root/sshd" "$work/keys"
  ssh-keygen -q -t ed25519 -N '' -f "$root/sshd/host"
  ssh-keygen -q -t ed25519 -N '' -f "$work/keys/riker"
  "$bin/riker" --root "$root" keys:add bench --admin < "$work/keys/riker.pub" >/dev/null
  cat > "$root/sshd/config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $root/sshd/host
AuthorizedKeysFile $root/.ssh/authorized_keys $extra
PermitRootLogin forced-commands-only
StrictModes no
UsePAM no
PasswordAuthentication no
CONF
  mkdir -p /run/sshd
  /usr/sbin/sshd -D -e -f "$root/sshd/config" 2>"$work/sshd.log" & sshd_pid=$!
  ssh_opts="-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $port"
}

# start_moto_asg N: a moto_server on a free port (its pid added to $pids, its log in $work), the
# AWS environment and an `aws` function pointed at it, and an Auto Scaling Group `bench-asg` of N
# instances in target group $tg; sets $tg and $ids (one instance id per line).
start_moto_asg() {
  local n=$1 moto_port vpc
  moto_port=$(freeport)
  moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 & pids+=($!)
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
  for _ in $(seq 100); do curl -s "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break; sleep 0.1; done
  aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
  vpc=$(aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId')
  tg=$(aws elbv2 create-target-group --name bench-tg --protocol HTTP --port 80 --vpc-id "$vpc" --query 'TargetGroups[0].TargetGroupArn')
  aws ec2 create-launch-template --launch-template-name bench-lt --launch-template-data '{"ImageId":"ami-12c6146b","InstanceType":"t2.micro"}' >/dev/null
  aws autoscaling create-auto-scaling-group --auto-scaling-group-name bench-asg --launch-template LaunchTemplateName=bench-lt \
    --min-size 0 --max-size "$n" --desired-capacity "$n" --availability-zones us-east-1a --target-group-arns "$tg"
  ids=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names bench-asg --query 'AutoScalingGroups[0].Instances[].InstanceId' | tr '\t' '\n')
}
