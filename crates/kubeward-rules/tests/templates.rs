//! Pod templates anywhere (issue 7): real shapes of batch, ML and CI custom resources, written
//! from their upstream documentation (`tests/templates/`). Each privileged container is found,
//! and the finding's path points into the custom resource.

use kubeward_model::{load_str, Index, Shape};
use kubeward_rules::{engine, Settings};
use std::path::PathBuf;

fn findings(file: &str, rule: &str) -> Vec<(String, String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/templates")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let snap = load_str(file, &text);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let mut out: Vec<_> = engine::analyze(&snap, &Settings::default(), &|m| m.name == rule)
        .into_iter()
        .map(|f| (f.object.kind.to_string(), f.object.name.to_string(), f.path))
        .collect();
    out.sort();
    out
}

fn own(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn ray_head_and_worker_groups() {
    assert_eq!(
        findings("ray.yaml", "privileged-container"),
        own(&[
            (
                "RayCluster",
                "raycluster-kuberay",
                "spec.headGroupSpec.template.spec.containers[0].securityContext.privileged"
            ),
            (
                "RayJob",
                "rayjob-sample",
                "spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].securityContext.privileged"
            ),
            (
                "RayService",
                "rayservice-sample",
                "spec.rayClusterConfig.workerGroupSpecs[0].template.spec.containers[0].securityContext.privileged"
            ),
        ])
    );
    assert_eq!(
        findings("ray.yaml", "host-namespaces"),
        own(&[(
            "RayCluster",
            "raycluster-kuberay",
            "spec.workerGroupSpecs[0].template.spec.hostNetwork"
        )])
    );
}

#[test]
fn jobset_leaderworkerset_and_kubeflow_replica_specs() {
    assert_eq!(
        findings("batch.yaml", "privileged-container"),
        own(&[
            (
                "JobSet",
                "paralleljobs",
                "spec.replicatedJobs[0].template.spec.template.spec.containers[0].securityContext.privileged"
            ),
            (
                "LeaderWorkerSet",
                "leaderworkerset-sample",
                "spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].securityContext.privileged"
            ),
            (
                "MPIJob",
                "pi",
                "spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].securityContext.privileged"
            ),
            (
                "PyTorchJob",
                "pytorch-simple",
                "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].securityContext.privileged"
            ),
            (
                "TFJob",
                "tfjob-simple",
                "spec.tfReplicaSpecs.Worker.template.spec.containers[0].securityContext.privileged"
            ),
        ])
    );
}

#[test]
fn argo_templates_and_tekton_steps() {
    assert_eq!(
        findings("pipelines.yaml", "privileged-container"),
        own(&[
            (
                "CronWorkflow",
                "hello-world",
                "spec.workflowSpec.templates[0].container.securityContext.privileged"
            ),
            (
                "Pipeline",
                "inline",
                "spec.tasks[0].taskSpec.steps[0].securityContext.privileged"
            ),
            (
                "Task",
                "build-push",
                "spec.steps[0].securityContext.privileged"
            ),
            (
                "Workflow",
                "steps",
                "spec.templates[2].script.securityContext.privileged"
            ),
        ])
    );
}

#[test]
fn every_template_of_an_object_is_indexed_with_its_shape() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/templates/pipelines.yaml"),
    )
    .unwrap();
    let snap = load_str("pipelines.yaml", &text);
    let index = Index::new(&snap);
    let mut seen: Vec<(String, String, Shape)> = index
        .pod_templates()
        .iter()
        .map(|t| {
            (
                t.object.name().to_string(),
                t.spec_path.to_string(),
                t.shape,
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        seen,
        vec![
            ("build-push".into(), "spec".into(), Shape::TektonSteps),
            (
                "hello-world".into(),
                "spec.workflowSpec.templates[0]".into(),
                Shape::ArgoTemplate
            ),
            (
                "inline".into(),
                "spec.tasks[0].taskSpec".into(),
                Shape::TektonSteps
            ),
            (
                "steps".into(),
                "spec.templates[1]".into(),
                Shape::ArgoTemplate
            ),
            (
                "steps".into(),
                "spec.templates[2]".into(),
                Shape::ArgoTemplate
            ),
        ]
    );
}
