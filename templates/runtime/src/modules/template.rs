//! The `template` module: renders a template lowered at build time with the
//! task's variables, facts and Ansible's template variables, then writes the
//! text exactly as `copy` writes content (see [`super::copy::deploy_bytes`]).

use super::copy::{deploy_bytes, CopyOptions, Payload};
use super::{params, ModuleContext, Outcome};
use crate::facts::sys;
use crate::json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// Ansible's default `ansible_managed` text.
const ANSIBLE_MANAGED: &str = "Ansible managed";

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    match run_inner(args, ctx) {
        Ok(o) => o,
        Err(msg) => Outcome::failed(msg),
    }
}

fn run_inner(args: &Value, ctx: &ModuleContext) -> Result<Outcome, String> {
    if args.get("state").is_some_and(|s| !s.is_null()) {
        return Err("'state' cannot be specified on a template".to_string());
    }
    let dest_arg = params::str_arg(args, "dest")?.filter(|d| !d.is_empty());
    let Some(dest_arg) = dest_arg else {
        return Err("src and dest are required".to_string());
    };
    let index = args
        .get("_template")
        .and_then(Value::as_i64)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| "template: the template was not embedded at build time".to_string())?;
    let info = args.get("_template_src").cloned().unwrap_or_default();
    let text_of = |key: &str| {
        info.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let src_path = text_of("path");
    let fullpath = text_of("fullpath");
    let mut locals: Vec<(String, Value)> = vec![
        ("template_host".into(), Value::str(text_of("host"))),
        ("template_path".into(), Value::str(&src_path)),
        ("template_fullpath".into(), Value::str(&fullpath)),
        ("template_destpath".into(), Value::str(&dest_arg)),
        (
            "template_uid".into(),
            info.get("uid").cloned().unwrap_or(Value::Null),
        ),
        ("template_mtime".into(), Value::str(text_of("mtime"))),
        ("template_run_date".into(), Value::str(run_date())),
        ("ansible_managed".into(), Value::str(ANSIBLE_MANAGED)),
    ];
    match args.get("variables") {
        None | Some(Value::Null) => {}
        Some(Value::Object(vars)) => locals.extend(vars.iter().cloned()),
        Some(other) => {
            return Err(format!(
                "template: variables must be a mapping, got {}",
                other.type_name()
            ))
        }
    }
    let rendered = (ctx.render_template)(index, &locals)?;
    let opts = CopyOptions::from_args(args)?;
    let name = fullpath.rsplit('/').next().unwrap_or("").to_string();
    let payload = Payload {
        bytes: rendered.as_bytes(),
        rel: name,
        label: fullpath.clone(),
        source_mode: info
            .get("mode")
            .and_then(Value::as_str)
            .and_then(|m| u32::from_str_radix(m, 8).ok()),
        is_content: false,
    };
    Ok(deploy_bytes(&payload, &opts, ctx))
}

/// `str(datetime.datetime.now())`: local time with microseconds.
fn run_date() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let micros = now.subsec_micros();
    let (y, mo, d, h, mi, s) = match sys::local_time(secs) {
        Some(t) => (t.year, t.month, t.day, t.hour, t.minute, t.second),
        None => {
            let (y, mo, d) = crate::time::civil_from_days(secs.div_euclid(86_400));
            let r = secs.rem_euclid(86_400);
            (
                y,
                mo,
                d,
                (r / 3600) as u32,
                (r % 3600 / 60) as u32,
                (r % 60) as u32,
            )
        }
    };
    let base = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_date_shape() {
        let d = run_date();
        assert!(d.len() == 19 || d.len() == 26, "{d}");
        assert_eq!(&d[4..5], "-");
        assert_eq!(&d[10..11], " ");
    }
}
